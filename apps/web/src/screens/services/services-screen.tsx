/* Services: the list, and for admins create and delete. */
'use client';
import { type ServiceView } from '@sluice/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { api } from '@/client/api-client.ts';
import { count } from '@/client/format.ts';
import { servicePath } from '@/client/service-path.ts';
import { useNotice } from '@/client/use-notice.ts';
import { useCan } from '@/components/shell/session-context.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { EmptyState, ErrorState, LoadingState, Notice } from '@/components/ui/states.tsx';
import { CreateServiceForm } from './create-service-form.tsx';

export function ServicesScreen() {
  const isAdmin = useCan('admin');
  const queryClient = useQueryClient();
  const { notice, ok, fail, clear } = useNotice();
  const [showCreate, setShowCreate] = useState(false);
  const [deleting, setDeleting] = useState<ServiceView | null>(null);
  const [force, setForce] = useState(false);
  const services = useQuery({ queryKey: ['services.list'], queryFn: () => api.services.list.query(), refetchInterval: 3000 });

  const remove = useMutation({
    mutationFn: (input: { service: string; force: boolean }) => api.services.delete.mutate(input),
    onSuccess: (result) => {
      ok(`Deleted ${result.deleted}${result.flowsEnded ? `; ${result.flowsEnded} connections were ended` : ''}.`);
      setDeleting(null);
    },
    onError: (error) => {
      setDeleting(null);
      fail(error);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['services.list'] }),
  });

  return (
    <>
      <PageHeader
        title="Services"
        subtitle="Each service is a VIP, port and protocol, balanced over its backends."
        actions={
          isAdmin && (
            <button type="button" className="button button-primary" onClick={() => setShowCreate((v) => !v)} aria-expanded={showCreate}>
              {showCreate ? 'Close' : 'Create service'}
            </button>
          )
        }
      />
      <Notice notice={notice} onDismiss={clear} />
      {isAdmin && showCreate && (
        <CreateServiceForm
          onCreated={(name) => {
            setShowCreate(false);
            ok(`Created ${name}.`);
          }}
        />
      )}
      <section className="card" aria-label="Service list">
        {services.isPending ? (
          <LoadingState label="Loading services…" />
        ) : services.isError ? (
          <ErrorState error={services.error} retry={() => services.refetch()} />
        ) : services.data.length === 0 ? (
          <EmptyState title="No services yet">
            <p>{isAdmin ? 'Create the first one with “Create service”.' : 'An admin creates services; they appear here.'}</p>
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="services-table">
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Algorithm</th>
                  <th scope="col">Mode</th>
                  <th scope="col">Health check</th>
                  <th scope="col" className="num">Backends (eligible)</th>
                  <th scope="col" className="num">Active connections</th>
                  {isAdmin && <th scope="col"><span className="sr-only">Actions</span></th>}
                </tr>
              </thead>
              <tbody>
                {services.data.map((service) => (
                  <tr key={service.name} data-service={service.name}>
                    <th scope="row">
                      <Link href={servicePath(service.name)}>{service.name}</Link>
                    </th>
                    <td>{service.algorithm}</td>
                    <td>{service.mode.toUpperCase()}</td>
                    <td>{service.healthCheck.type === 'none' ? 'none' : `${service.healthCheck.type} every ${service.healthCheck.intervalMs / 1000} s`}</td>
                    <td className="num">
                      {service.backendCount} ({service.eligibleBackends})
                    </td>
                    <td className="num">{count(service.activeFlows)}</td>
                    {isAdmin && (
                      <td className="actions">
                        <button
                          type="button"
                          className="button button-small button-danger-quiet"
                          onClick={() => {
                            setForce(false);
                            setDeleting(service);
                          }}
                        >
                          Delete<span className="sr-only"> {service.name}</span>
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.name ?? ''}?`}
        confirmLabel="Delete service"
        danger
        busy={remove.isPending}
        confirmDisabled={(deleting?.activeFlows ?? 0) > 0 && !force}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate({ service: deleting.name, force })}
      >
        <p>The VIP stops answering and its {deleting?.backendCount ?? 0} backends are removed with it.</p>
        {(deleting?.activeFlows ?? 0) > 0 && (
          <label className="checkbox">
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
            End its {deleting?.activeFlows} active connections (force)
          </label>
        )}
      </ConfirmDialog>
    </>
  );
}

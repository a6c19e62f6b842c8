/* Services: the list, and for admins create and delete. */
'use client';
import type { ServiceView } from '@sluice/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { api } from '@/client/api-client.ts';
import { servicePath } from '@/client/service-path.ts';
import { useNotice } from '@/client/use-notice.ts';
import { useCan } from '@/components/shell/session-context.tsx';
import { MODE_LABEL } from '@/components/forwarding/mode-help.ts';
import { ActiveCount } from '@/components/ui/active-count.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { CsvExportButton } from '@/components/ui/csv-export-button.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState, Notice } from '@/components/ui/states.tsx';
import { CreateServiceForm } from './create-service-form.tsx';
import { SERVICES_CSV } from './services-csv.ts';

export function ServicesScreen() {
  const isAdmin = useCan('admin');
  const queryClient = useQueryClient();
  const { notice, ok, fail, clear } = useNotice({ fleetChanges: true });
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

  const columns: Column<ServiceView>[] = [
    { header: 'Service', rowHeader: true, cell: (service) => <Link href={servicePath(service.name)}>{service.name}</Link> },
    { header: 'Algorithm', cell: (service) => service.algorithm },
    { header: 'Client rate limit', cell: (service) => (service.clientRate === 0 ? <span className="muted">none</span> : `${service.clientRate}/s`) },
    { header: 'Mode', cell: (service) => MODE_LABEL[service.mode] },
    {
      header: 'Health check',
      cell: (service) => (service.healthCheck.type === 'none' ? 'none' : `${service.healthCheck.type} every ${service.healthCheck.intervalMs / 1000} s`),
    },
    {
      header: 'Backends (eligible)',
      className: 'num',
      cell: (service) => (
        <>
          {service.backendCount} ({service.eligibleBackends})
        </>
      ),
    },
    { header: 'Active connections', className: 'num', cell: (service) => <ActiveCount value={service.activeFlows} estimate={service.activeIsEstimate} /> },
  ];
  if (isAdmin)
    columns.push({
      header: <span className="sr-only">Actions</span>,
      cellClassName: 'actions',
      cell: (service) => (
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
      ),
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
        <QueryState query={services} loadingLabel="Loading services…">
          {(list) => (
            <>
              <div className="table-toolbar">
                <CsvExportButton fileName="sluice-services.csv" columns={SERVICES_CSV} rows={async () => ({ rows: await api.services.list.query() })} />
              </div>
              <DataTable
                testId="services-table"
                columns={columns}
                rows={list}
                rowKey={(service) => service.name}
                rowProps={(service) => ({ 'data-service': service.name })}
                empty={
                  <EmptyState title="No services yet">
                    <p>{isAdmin ? 'Create the first one with “Create service”.' : 'An admin creates services; they appear here.'}</p>
                  </EmptyState>
                }
              />
            </>
          )}
        </QueryState>
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

/* The services table as CSV: every service (the list is never paged), raw values. */
import type { ServiceView } from '@sluice/api';
import type { CsvColumn } from '@/client/csv.ts';

export const SERVICES_CSV: CsvColumn<ServiceView>[] = [
  { header: 'service', value: (s) => s.name },
  { header: 'address', value: (s) => s.address },
  { header: 'port', value: (s) => s.port },
  { header: 'protocol', value: (s) => s.protocol },
  { header: 'algorithm', value: (s) => s.algorithm },
  { header: 'mode', value: (s) => s.mode },
  { header: 'client_rate', value: (s) => s.clientRate },
  { header: 'health_check', value: (s) => s.healthCheck.type },
  { header: 'backends', value: (s) => s.backendCount },
  { header: 'eligible_backends', value: (s) => s.eligibleBackends },
  { header: 'active_connections', value: (s) => s.activeFlows },
  { header: 'active_is_estimate', value: (s) => s.activeIsEstimate },
];

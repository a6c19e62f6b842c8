/*
 * The agent process: owns the data plane and keeps its maps equal to the
 * desired state. Desired state comes from the configuration file for now;
 * SIGHUP re-reads it. A file that does not validate changes nothing.
 */
import type { DataplaneConfig } from '@sluice/api';
import type { Dataplane } from '../dataplane/index.js';
import { Reconciler } from '../reconcile/reconciler.js';
import { readConfigFile } from './config-file.js';
import { type DataplaneOwnerOptions, startDataplane, teardownDataplane } from './dataplane-owner.js';
import { log } from './log.js';

export interface AgentOptions extends DataplaneOwnerOptions {
  configFile?: string;
  /** Detach and unpin on exit; otherwise the data plane outlives the agent. */
  detachOnExit: boolean;
  maxBackendsPerService: number;
}

export class Agent {
  readonly dataplane: Dataplane;
  readonly reconciler: Reconciler;

  constructor(readonly options: AgentOptions) {
    this.dataplane = startDataplane(options);
    this.reconciler = new Reconciler(
      this.dataplane.maps,
      Reconciler.limitsOf(this.dataplane.maps, options.maxBackendsPerService),
    );
    this.reconciler.adopt();
  }

  apply(config: DataplaneConfig): void {
    const report = this.reconciler.apply(config);
    log(
      'info',
      `applied ${config.services.length} services: ${report.servicesWritten.length} written, ` +
        `${report.servicesRemoved.length} removed, ${report.tablesWritten} tables, ` +
        `+${report.backendsAdded}/-${report.backendsRemoved} backends`,
    );
  }

  /** Re-reads the configuration file; on any error the running state stays as it is. */
  reload(): boolean {
    if (!this.options.configFile) return true;
    try {
      this.apply(readConfigFile(this.options.configFile));
      return true;
    } catch (error) {
      log('error', `${(error as Error).message}; the running configuration is unchanged`);
      return false;
    }
  }

  stop(): void {
    this.dataplane.close();
    if (this.options.detachOnExit) teardownDataplane(this.options);
    else log('info', 'agent stopped; the data plane keeps forwarding');
  }
}

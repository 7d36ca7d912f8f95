// Where the executor gets a run's connection: the org's decrypted credentials (get_connection_credentials, the one
// service-role-only function that returns them) and its settings (get_sync_connections), once per run, through the
// integrations repository as the service role. A connection that is gone, disabled or without credentials is
// `not_configured` (also when it goes between the two calls); no message here holds a credential, nothing here logs.
import { SyncRunLogError } from '../errors.ts';
import { IntegrationsRepository } from '../integrations.repository.ts';
import type { RpcPort } from '../rpc-port.ts';
import type { ConnectionSource, RunConnection } from './executor.ts';

export class DatabaseConnectionSource implements ConnectionSource {
  private readonly integrations: IntegrationsRepository;

  /** `db`: an rpc port with the service role. */
  constructor(db: RpcPort) {
    this.integrations = new IntegrationsRepository(db);
  }

  async load(orgId: string, integrationType: string): Promise<RunConnection> {
    const credentials = await this.integrations.getConnectionCredentials(orgId, integrationType);
    const connection = (await this.integrations.getConnections(orgId)).find(
      (candidate) => candidate.integrationType === integrationType,
    );
    if (!connection?.enabled) {
      throw new SyncRunLogError(
        'not_configured',
        `${integrationType} is not configured for this org: no enabled connection`,
      );
    }
    const settings = connection.settings;
    return {
      credentials,
      settings: typeof settings === 'object' && settings !== null && !Array.isArray(settings) ? settings : {},
    };
  }
}

// Bufdir (the Norwegian Directorate for Children, Youth and Family Affairs) reporting export: a REST API with
// page/pageSize paging (meta.totalPages), authorised by an API key header.
// Deployment (environment): BUFDIR_BASE_URL and the optional BUFDIR_* / INTEGRATION_* tuning (config.ts).
// Per org (the connection): credentials { apiKey }, settings { organisationNumber? } (connection-schemas.ts).
// Health: GET /api/v1/status, the vendor's status endpoint (no data, no key).
import { type AdapterSetup, notConfigured, notConfiguredHealth, setUpAdapter } from './adapter-base.ts';
import type { Env } from './config.ts';
import { CONNECTION_SCHEMAS, parseConnection } from './connection-schemas.ts';
import type { HttpRuntime } from './http-client.ts';
import type { HealthCheckResult, IntegrationAdapter, SyncContext, SyncResult } from './integration.ts';
import { badShape, isObject, type Page, runPagedSync } from './paged-sync.ts';

export class BufdirAdapter implements IntegrationAdapter {
  readonly type = 'bufdir';
  readonly configured: boolean;
  private readonly setup: AdapterSetup;

  constructor(env: Env, runtime?: HttpRuntime) {
    this.setup = setUpAdapter('bufdir', 'BUFDIR', env, runtime);
    this.configured = this.setup.client !== null;
  }

  healthCheck(signal?: AbortSignal): Promise<HealthCheckResult> {
    const { client, problem } = this.setup;
    if (!client) return Promise.resolve(notConfiguredHealth(this.type, problem ?? 'unknown'));
    return client.probe('/api/v1/status', { method: 'GET', ...(signal ? { signal } : {}) });
  }

  async sync(context: SyncContext): Promise<SyncResult> {
    const { client, problem, pageSize } = this.setup;
    if (!client) throw notConfigured(this.type, problem ?? 'unknown');
    const { credentials, settings } = parseConnection(this.type, CONNECTION_SCHEMAS.bufdir, context);
    const query = new URLSearchParams();
    if (context.scheduledFor) query.set('period', context.scheduledFor.toISOString());
    if (settings.organisationNumber) query.set('organisationNumber', settings.organisationNumber);
    const more = query.toString() ? `&${query.toString()}` : '';
    return runPagedSync<number>(
      {
        integration: this.type,
        first: 1,
        fetchPage: async (page, signal): Promise<Page<number>> => {
          const response = await client.request(`/api/v1/exports/records?page=${page}&pageSize=${pageSize}${more}`, {
            headers: { 'x-api-key': credentials.apiKey, accept: 'application/json' },
            signal,
          });
          return readPage(response.body, page);
        },
        checkRecord: checkActivity,
      },
      context,
    );
  }
}

function readPage(body: unknown, page: number): Page<number> {
  if (!isObject(body) || !Array.isArray(body.data) || !isObject(body.meta)) throw badShape('bufdir', 'data/meta');
  const totalPages = body.meta.totalPages;
  if (typeof totalPages !== 'number' || !Number.isInteger(totalPages) || totalPages < 0)
    throw badShape('bufdir', 'meta.totalPages');
  return { records: body.data, next: page < totalPages ? page + 1 : null };
}

export function checkActivity(record: unknown): string | null {
  if (!isObject(record)) return 'not an object';
  if (typeof record.id !== 'string' || record.id === '') return 'id is missing';
  if (typeof record.activityId !== 'string' || record.activityId === '') return 'activityId is missing';
  if (typeof record.participants !== 'number' || !Number.isInteger(record.participants) || record.participants < 0) {
    return 'participants is not a count';
  }
  if (typeof record.hours !== 'number' || !(record.hours >= 0)) return 'hours is not a duration';
  if (typeof record.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(record.date)) return 'date is not a date';
  return null;
}

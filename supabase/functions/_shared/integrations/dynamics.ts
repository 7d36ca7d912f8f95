// Microsoft Dynamics 365: OData v4 (GET <entity set>, paged by Prefer: odata.maxpagesize and @odata.nextLink),
// authorised by an OAuth 2.0 client-credentials token (cached until a minute before it expires).
// Environment: DYNAMICS_BASE_URL, DYNAMICS_CLIENT_ID, DYNAMICS_CLIENT_SECRET, optional DYNAMICS_TOKEN_URL
// (default <base>/oauth2/token; a path under the base URL, or an https URL, as it receives the client secret) and the
// DYNAMICS_* / INTEGRATION_* tuning (config.ts).
// Health: HEAD /api/data/v9.2/ (the service root) with the cached token, which touches no data.
import { type AdapterSetup, notConfigured, notConfiguredHealth, setUpAdapter } from './adapter-base.ts';
import { baseUrlFromEnv, type Env } from './config.ts';
import { defaultRuntime, type HttpRuntime } from './http-client.ts';
import {
  type HealthCheckResult,
  type IntegrationAdapter,
  IntegrationError,
  type SyncContext,
  type SyncResult,
} from './integration.ts';
import { badShape, isObject, type Page, runPagedSync } from './paged-sync.ts';

export const DYNAMICS_API_ROOT = '/api/data/v9.2/';
export const DYNAMICS_ENTITY_SET = 'msdyn_transactions';
const SELECT = 'msdyn_transactionid,msdyn_amount,msdyn_currency,msdyn_transactiondate,_msdyn_account_value';

export class DynamicsAdapter implements IntegrationAdapter {
  readonly type = 'dynamics';
  readonly configured: boolean;
  private readonly setup: AdapterSetup;
  private readonly runtime: HttpRuntime;
  private readonly env: Env;
  private token: { value: string; expiresAt: number } | null = null;
  private readonly tokenUrl: string;

  constructor(env: Env, runtime: HttpRuntime = defaultRuntime) {
    const setup = setUpAdapter('dynamics', 'DYNAMICS', env, ['DYNAMICS_CLIENT_ID', 'DYNAMICS_CLIENT_SECRET'], runtime);
    const tokenUrl = tokenUrlFromEnv(env);
    if (typeof tokenUrl === 'string') {
      this.setup = setup;
      this.tokenUrl = tokenUrl;
    } else {
      this.setup = { ...setup, client: null, problem: setup.problem ?? tokenUrl.problem };
      this.tokenUrl = '';
    }
    this.configured = this.setup.client !== null;
    this.runtime = runtime;
    this.env = env;
  }

  /**
   * HEAD on the service root with the bearer token (Dynamics answers 401 without one). The token is cached for its
   * lifetime (about an hour), so the check costs one HEAD and, hourly, one request to the token endpoint.
   */
  async healthCheck(signal?: AbortSignal): Promise<HealthCheckResult> {
    const { client, problem } = this.setup;
    if (!client) return notConfiguredHealth(this.type, problem ?? 'unknown');
    let token: string;
    try {
      token = await this.accessToken(signal ?? new AbortController().signal, true);
    } catch (error) {
      const e = error instanceof IntegrationError ? error : null;
      const result: HealthCheckResult = {
        status: e?.code === 'rate_limited' ? 'rate_limited' : 'unhealthy',
        latencyMs: 0,
        error: `dynamics: health check could not get a token: ${e ? e.message : 'unexpected error'}`,
      };
      if (e?.details.retryAfterSeconds !== undefined) result.retryAfterSeconds = e.details.retryAfterSeconds;
      return result;
    }
    return client.probe(DYNAMICS_API_ROOT, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}` },
      ...(signal ? { signal } : {}),
    });
  }

  sync(context: SyncContext): Promise<SyncResult> {
    const { client, problem, pageSize } = this.setup;
    if (!client) return Promise.reject(notConfigured(this.type, problem ?? 'unknown'));
    const first = `${DYNAMICS_API_ROOT}${DYNAMICS_ENTITY_SET}?$select=${SELECT}&$orderby=msdyn_transactionid`;
    return runPagedSync<string>(
      {
        integration: this.type,
        first,
        fetchPage: async (link, signal): Promise<Page<string>> => {
          const token = await this.accessToken(signal);
          const response = await client.request(link, {
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json',
              'odata-version': '4.0',
              prefer: `odata.maxpagesize=${pageSize}`,
            },
            signal,
          });
          return readPage(response.body);
        },
        checkRecord: checkTransaction,
      },
      context,
    );
  }

  /** The client-credentials token, fetched again a minute before it expires; `once` for a health check. */
  private async accessToken(signal: AbortSignal, once = false): Promise<string> {
    const now = this.runtime.now();
    if (this.token && this.token.expiresAt - 60_000 > now) return this.token.value;
    const client = this.setup.client;
    if (!client) throw notConfigured(this.type, this.setup.problem ?? 'unknown');
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.env.DYNAMICS_CLIENT_ID ?? '',
      client_secret: this.env.DYNAMICS_CLIENT_SECRET ?? '',
      scope: `${client.baseUrl.origin}/.default`,
    });
    const response = await client.request(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal,
      configuredUrl: true,
      once,
    });
    const body = response.body;
    if (!isObject(body) || typeof body.access_token !== 'string' || body.access_token === '') {
      throw badShape(this.type, 'token response');
    }
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    this.token = { value: body.access_token, expiresAt: now + lifetime * 1000 };
    return this.token.value;
  }
}

/** DYNAMICS_TOKEN_URL: a path under the base URL (the default /oauth2/token) or an https URL; the client secret goes there. */
function tokenUrlFromEnv(env: Env): string | { problem: string } {
  const raw = env.DYNAMICS_TOKEN_URL;
  if (raw === undefined || raw === '') return '/oauth2/token';
  if (raw.startsWith('/') && !raw.startsWith('//')) return raw;
  const url = baseUrlFromEnv(env, 'DYNAMICS_TOKEN_URL');
  return typeof url === 'string' ? { problem: url } : url.href;
}

function readPage(body: unknown): Page<string> {
  if (!isObject(body) || !Array.isArray(body.value)) throw badShape('dynamics', 'value');
  const next = body['@odata.nextLink'];
  if (next !== undefined && typeof next !== 'string') throw badShape('dynamics', '@odata.nextLink');
  return { records: body.value, next: next ?? null };
}

export function checkTransaction(record: unknown): string | null {
  if (!isObject(record)) return 'not an object';
  if (typeof record.msdyn_transactionid !== 'string' || record.msdyn_transactionid === '')
    return 'msdyn_transactionid is missing';
  if (typeof record.msdyn_amount !== 'number' || !Number.isFinite(record.msdyn_amount))
    return 'msdyn_amount is not a number';
  if (typeof record.msdyn_currency !== 'string' || !/^[A-Z]{3}$/.test(record.msdyn_currency))
    return 'msdyn_currency is not an ISO code';
  if (typeof record.msdyn_transactiondate !== 'string' || Number.isNaN(Date.parse(record.msdyn_transactiondate))) {
    return 'msdyn_transactiondate is not a date';
  }
  return null;
}

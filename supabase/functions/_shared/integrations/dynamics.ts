// Microsoft Dynamics 365: OData v4 (GET <entity set>, paged by Prefer: odata.maxpagesize and @odata.nextLink),
// authorised by an OAuth 2.0 client-credentials token, fetched once per run (and again should it expire mid-run).
// Deployment (environment): DYNAMICS_BASE_URL (the default environment, and what the health check probes),
// DYNAMICS_AUTHORITY_URL (default https://login.microsoftonline.com), DYNAMICS_TOKEN_URL (optional; default
// <base>/oauth2/token: a path under the base URL, or an https URL, as it receives the client secret) and the
// DYNAMICS_* / INTEGRATION_* tuning (config.ts).
// Per org (the connection): credentials { clientId, clientSecret }; settings { environmentUrl?, tenantId? }
// (connection-schemas.ts): the org's Dataverse environment, and its tenant, whose token endpoint is
// <DYNAMICS_AUTHORITY_URL>/<tenantId>/oauth2/v2.0/token.
// Health: HEAD /api/data/v9.2/ (the service root) without a token: Dataverse answers 401 with a Bearer challenge,
// which proves it is up; no credentials, no token request, no data.
import { type AdapterSetup, notConfigured, notConfiguredHealth, setUpAdapter } from './adapter-base.ts';
import { baseUrlFromEnv, type Env } from './config.ts';
import { CONNECTION_SCHEMAS, type DynamicsCredentials, parseConnection } from './connection-schemas.ts';
import { HttpClient, type HttpRuntime } from './http-client.ts';
import type { HealthCheckResult, IntegrationAdapter, SyncContext, SyncResult } from './integration.ts';
import { badShape, isObject, type Page, runPagedSync } from './paged-sync.ts';

export const DYNAMICS_API_ROOT = '/api/data/v9.2/';
export const DYNAMICS_ENTITY_SET = 'msdyn_transactions';
export const DEFAULT_DYNAMICS_AUTHORITY = 'https://login.microsoftonline.com';
const SELECT = 'msdyn_transactionid,msdyn_amount,msdyn_currency,msdyn_transactiondate,_msdyn_account_value';

export class DynamicsAdapter implements IntegrationAdapter {
  readonly type = 'dynamics';
  readonly configured: boolean;
  private readonly setup: AdapterSetup;
  /** The deployment's token URL (a path under the environment, or an absolute URL), or why it is unusable. */
  private readonly tokenUrl: string | { problem: string };
  private readonly authority: URL | string;

  constructor(env: Env, runtime?: HttpRuntime) {
    this.setup = setUpAdapter('dynamics', 'DYNAMICS', env, runtime);
    this.tokenUrl = tokenUrlFromEnv(env);
    this.authority = env.DYNAMICS_AUTHORITY_URL
      ? baseUrlFromEnv(env, 'DYNAMICS_AUTHORITY_URL')
      : new URL(DEFAULT_DYNAMICS_AUTHORITY);
    this.configured = this.setup.client !== null && this.deploymentProblem() === null;
  }

  /**
   * HEAD on the service root without a token. Dataverse refuses it with 401 and a `WWW-Authenticate: Bearer`
   * challenge: the service is up and answering, which is all a vendor check asks. No org's credentials are used,
   * and no token is fetched, so the check costs one request and nothing of anyone's token-endpoint limit.
   */
  healthCheck(signal?: AbortSignal): Promise<HealthCheckResult> {
    const { client, problem } = this.setup;
    const deployment = problem ?? this.deploymentProblem();
    if (!client || deployment) return Promise.resolve(notConfiguredHealth(this.type, deployment ?? 'unknown'));
    return client.probe(DYNAMICS_API_ROOT, {
      method: 'HEAD',
      ...(signal ? { signal } : {}),
      answered: (status, headers) => status === 401 && /^\s*bearer\b/i.test(headers.get('www-authenticate') ?? ''),
    });
  }

  async sync(context: SyncContext): Promise<SyncResult> {
    const { problem, tuned, pageSize, policy, runtime } = this.setup;
    const deployment = (tuned ? null : problem) ?? this.deploymentProblem();
    if (deployment) throw notConfigured(this.type, deployment);
    const { credentials, settings } = parseConnection(this.type, CONNECTION_SCHEMAS.dynamics, context);
    // The org's environment, else the deployment's.
    const client = settings.environmentUrl
      ? new HttpClient(this.type, new URL(new URL(settings.environmentUrl).origin), policy, runtime)
      : this.setup.client;
    if (!client)
      throw notConfigured(this.type, `${problem ?? 'no base URL'}, and the connection names no environmentUrl`);
    const tokenUrl = settings.tenantId
      ? `${(this.authority as URL).href.replace(/\/$/, '')}/${encodeURIComponent(settings.tenantId)}/oauth2/v2.0/token`
      : (this.tokenUrl as string);
    const token = runToken(client, tokenUrl, credentials, runtime);
    const first = `${DYNAMICS_API_ROOT}${DYNAMICS_ENTITY_SET}?$select=${SELECT}&$orderby=msdyn_transactionid`;
    return runPagedSync<string>(
      {
        integration: this.type,
        first,
        fetchPage: async (link, signal): Promise<Page<string>> => {
          const response = await client.request(link, {
            headers: { accept: 'application/json', 'odata-version': '4.0', prefer: `odata.maxpagesize=${pageSize}` },
            // Before each attempt: a retry that waited out a 429 must not send a token that expired meanwhile.
            authorize: async () => ({ authorization: `Bearer ${await token(signal)}` }),
            signal,
          });
          return readPage(response.body);
        },
        checkRecord: checkTransaction,
      },
      context,
    );
  }

  /** A deployment setting of the token endpoint that is unusable, or null. */
  private deploymentProblem(): string | null {
    if (typeof this.tokenUrl !== 'string') return this.tokenUrl.problem;
    if (typeof this.authority === 'string') return this.authority;
    return null;
  }
}

/**
 * The run's client-credentials token: asked for at the first page, kept for the run (never beyond it: a token is
 * the org's), asked for again a minute before it expires. The secret goes to the token URL only.
 */
function runToken(
  client: HttpClient,
  tokenUrl: string,
  credentials: DynamicsCredentials,
  runtime: HttpRuntime,
): (signal: AbortSignal) => Promise<string> {
  let token: { value: string; expiresAt: number } | null = null;
  return async (signal) => {
    const now = runtime.now();
    if (token && token.expiresAt - 60_000 > now) return token.value;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      scope: `${client.baseUrl.origin}/.default`,
    });
    const response = await client.request(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal,
      configuredUrl: true,
      oauthToken: true,
    });
    const body = response.body;
    if (!isObject(body) || typeof body.access_token !== 'string' || body.access_token === '') {
      throw badShape('dynamics', 'token response');
    }
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    token = { value: body.access_token, expiresAt: now + lifetime * 1000 };
    return token.value;
  };
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

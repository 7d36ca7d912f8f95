// Xledger: a GraphQL API (POST /graphql, cursor paging through edges/pageInfo), authorised by an API token.
// Deployment (environment): XLEDGER_BASE_URL and the optional XLEDGER_* / INTEGRATION_* tuning (config.ts).
// Per org (the connection): credentials { apiToken }, settings { companyId? } (connection-schemas.ts).
// Health: HEAD /graphql, which touches no data and needs no token.
import { type AdapterSetup, notConfigured, notConfiguredHealth, setUpAdapter } from './adapter-base.ts';
import type { Env } from './config.ts';
import { CONNECTION_SCHEMAS, parseConnection } from './connection-schemas.ts';
import type { HttpRuntime } from './http-client.ts';
import {
  type HealthCheckResult,
  type IntegrationAdapter,
  IntegrationError,
  type SyncContext,
  type SyncResult,
} from './integration.ts';
import { badShape, isObject, type Page, runPagedSync } from './paged-sync.ts';

export const XLEDGER_QUERY = `query Transactions($first: Int!, $after: String, $period: String, $companyId: Int) {
  transactions(first: $first, after: $after, period: $period, companyId: $companyId) {
    edges { cursor node { dbId accountCode amount currency postedDate text } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export class XledgerAdapter implements IntegrationAdapter {
  readonly type = 'xledger';
  readonly configured: boolean;
  private readonly setup: AdapterSetup;

  constructor(env: Env, runtime?: HttpRuntime) {
    this.setup = setUpAdapter('xledger', 'XLEDGER', env, runtime);
    this.configured = this.setup.client !== null;
  }

  healthCheck(signal?: AbortSignal): Promise<HealthCheckResult> {
    const { client, problem } = this.setup;
    if (!client) return Promise.resolve(notConfiguredHealth(this.type, problem ?? 'unknown'));
    return client.probe('/graphql', { method: 'HEAD', ...(signal ? { signal } : {}) });
  }

  async sync(context: SyncContext): Promise<SyncResult> {
    const { client, problem, pageSize } = this.setup;
    if (!client) throw notConfigured(this.type, problem ?? 'unknown');
    const { credentials, settings } = parseConnection(this.type, CONNECTION_SCHEMAS.xledger, context);
    const period = context.scheduledFor ? context.scheduledFor.toISOString() : null;
    return runPagedSync<string>(
      {
        integration: this.type,
        first: '',
        fetchPage: async (after, signal): Promise<Page<string>> => {
          const response = await client.request('/graphql', {
            method: 'POST',
            headers: {
              authorization: `token ${credentials.apiToken}`,
              'content-type': 'application/json',
              accept: 'application/json',
            },
            body: JSON.stringify({
              query: XLEDGER_QUERY,
              variables: { first: pageSize, after: after || null, period, companyId: settings.companyId ?? null },
            }),
            signal,
          });
          return readPage(response.body);
        },
        checkRecord: checkTransaction,
      },
      context,
    );
  }
}

function readPage(body: unknown): Page<string> {
  if (!isObject(body)) throw badShape('xledger', 'not an object');
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    // GraphQL reports errors with HTTP 200. Their text is the vendor's: keep only a code that looks like one.
    const first = body.errors[0];
    const code = isObject(first) && isObject(first.extensions) ? first.extensions.code : undefined;
    const safe = typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? ` ${code}` : '';
    throw new IntegrationError('bad_response', `xledger: the GraphQL query failed${safe}`);
  }
  const connection = isObject(body.data) ? body.data.transactions : undefined;
  if (!isObject(connection) || !Array.isArray(connection.edges) || !isObject(connection.pageInfo)) {
    throw badShape('xledger', 'data.transactions');
  }
  const { hasNextPage, endCursor } = connection.pageInfo;
  if (hasNextPage === true && (typeof endCursor !== 'string' || endCursor === ''))
    throw badShape('xledger', 'endCursor');
  return {
    records: connection.edges.map((edge) => (isObject(edge) ? edge.node : undefined)),
    next: hasNextPage === true ? (endCursor as string) : null,
  };
}

export function checkTransaction(node: unknown): string | null {
  if (!isObject(node)) return 'not an object';
  if (typeof node.dbId !== 'number') return 'dbId is missing';
  if (typeof node.accountCode !== 'string' || node.accountCode === '') return 'accountCode is missing';
  if (typeof node.amount !== 'string' || !/^-?\d{1,15}(\.\d{1,2})?$/.test(node.amount))
    return 'amount is not a decimal';
  if (typeof node.currency !== 'string' || !/^[A-Z]{3}$/.test(node.currency)) return 'currency is not an ISO code';
  if (typeof node.postedDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(node.postedDate))
    return 'postedDate is not a date';
  return null;
}

// Simulated Xledger: POST /graphql answering the transactions query with cursor paging (edges, pageInfo), GraphQL
// errors with HTTP 200 like the real thing, `Authorization: token <apiToken>` (only the tokens it is given: by
// default LOCAL_XLEDGER_API_TOKEN; any other is 401); HEAD /graphql is the health check (no token needed).
import { amountFor, Dataset, type DatasetSettings, dateFor } from './dataset.ts';
import type { RequestKind } from './fault-control.ts';
import type { SimRequest, SimResponse, VendorApi } from './server.ts';

/** The one API token the local Xledger accepts (a connection's credentials `{ apiToken }`). */
export const LOCAL_XLEDGER_API_TOKEN = 'local-xledger-token';

/** `tokens`: the API tokens it accepts (default: LOCAL_XLEDGER_API_TOKEN only). */
export function xledgerApi(options: { tokens?: readonly string[]; data?: DatasetSettings } = {}): VendorApi {
  const tokens = new Set(options.tokens ?? [LOCAL_XLEDGER_API_TOKEN]);
  const dataset = new Dataset(
    (i, invalid) => ({
      dbId: 100_000 + i,
      accountCode: String(3000 + (i % 40)),
      amount: invalid ? 'n/a' : amountFor(i),
      currency: 'NOK',
      postedDate: dateFor(i),
      text: `Transaction ${i + 1}`,
    }),
    options.data,
  );
  return {
    name: 'xledger',
    dataset,
    classify: (method: string, path: string): RequestKind =>
      path === '/graphql' ? (method === 'HEAD' ? 'health' : 'data') : 'other',
    handle(request: SimRequest): SimResponse {
      if (request.url.pathname !== '/graphql') return { status: 404, body: { errors: [{ message: 'not found' }] } };
      if (request.method === 'HEAD') return { status: 200 };
      if (request.method !== 'POST') return { status: 405, body: { errors: [{ message: 'use POST' }] } };
      const token = /^token (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (token === undefined || !tokens.has(token)) {
        return { status: 401, body: { errors: [{ message: 'unauthorized' }] } };
      }
      let variables: Record<string, unknown>;
      try {
        const body = JSON.parse(request.body) as { query?: unknown; variables?: Record<string, unknown> };
        if (typeof body.query !== 'string' || !body.query.includes('transactions')) throw new Error('query');
        variables = body.variables ?? {};
      } catch {
        return {
          status: 200,
          body: { errors: [{ message: 'Syntax error', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] },
        };
      }
      const first = dataset.pageSize(typeof variables.first === 'number' ? variables.first : undefined);
      const offset = typeof variables.after === 'string' ? decodeCursor(variables.after) : 0;
      if (offset === null) {
        return { status: 200, body: { errors: [{ message: 'bad cursor', extensions: { code: 'BAD_USER_INPUT' } }] } };
      }
      const nodes = dataset.slice(offset, first);
      const end = offset + nodes.length;
      return {
        status: 200,
        credential: token,
        body: {
          data: {
            transactions: {
              edges: nodes.map((node, k) => ({ cursor: encodeCursor(offset + k + 1), node })),
              pageInfo: { hasNextPage: end < dataset.totalRecords, endCursor: nodes.length ? encodeCursor(end) : null },
            },
          },
        },
      };
    },
  };
}

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64');
}

function decodeCursor(cursor: string): number | null {
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return match ? Number(match[1]) : null;
}

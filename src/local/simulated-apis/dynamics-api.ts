// Simulated Microsoft Dynamics 365: POST /oauth2/token (client credentials), OData v4 GET
// /api/data/v9.2/msdyn_transactions honouring `Prefer: odata.maxpagesize` and paging by @odata.nextLink
// ($skiptoken); HEAD /api/data/v9.2/ is the health check (the service root, no data; 401 without a valid token).
import { randomUUID } from 'node:crypto';
import { amountFor, Dataset, type DatasetSettings, dateFor } from './dataset.ts';
import type { RequestKind } from './fault-control.ts';
import type { SimRequest, SimResponse, VendorApi } from './server.ts';

export const SIMULATED_DYNAMICS_CLIENT_ID = 'simulated-dynamics-client';
export const SIMULATED_DYNAMICS_CLIENT_SECRET = 'simulated-dynamics-secret';
const ROOT = '/api/data/v9.2/';
const ENTITY = `${ROOT}msdyn_transactions`;

export function dynamicsApi(
  options: { clientId?: string; clientSecret?: string; tokenLifetimeSeconds?: number; data?: DatasetSettings } = {},
): VendorApi {
  const clientId = options.clientId ?? SIMULATED_DYNAMICS_CLIENT_ID;
  const clientSecret = options.clientSecret ?? SIMULATED_DYNAMICS_CLIENT_SECRET;
  const tokens = new Set<string>();
  const dataset = new Dataset(
    (i, invalid) => ({
      '@odata.etag': `W/"${1000 + i}"`,
      msdyn_transactionid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      msdyn_amount: invalid ? null : Number(amountFor(i)),
      msdyn_currency: 'NOK',
      msdyn_transactiondate: `${dateFor(i)}T00:00:00Z`,
      _msdyn_account_value: `10000000-0000-4000-8000-${String(i % 40).padStart(12, '0')}`,
    }),
    options.data,
  );
  return {
    name: 'dynamics',
    dataset,
    classify(method: string, path: string): RequestKind {
      if (path === '/oauth2/token') return 'auth';
      if (path === ROOT && method === 'HEAD') return 'health';
      return path.startsWith(ROOT) ? 'data' : 'other';
    },
    handle(request: SimRequest): SimResponse {
      const path = request.url.pathname;
      if (path === '/oauth2/token' && request.method === 'POST') {
        const form = new URLSearchParams(request.body);
        if (form.get('grant_type') !== 'client_credentials')
          return { status: 400, body: { error: 'unsupported_grant_type' } };
        if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
          return { status: 401, body: { error: 'invalid_client' } };
        }
        const token = randomUUID();
        tokens.add(token);
        return {
          status: 200,
          body: { token_type: 'Bearer', expires_in: options.tokenLifetimeSeconds ?? 3599, access_token: token },
        };
      }
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
      const authorised = Boolean(bearer?.[1] && tokens.has(bearer[1]));
      if (path === ROOT && request.method === 'HEAD') return { status: authorised ? 200 : 401 };
      if (path !== ENTITY)
        return { status: 404, body: { error: { code: '0x80060888', message: 'Resource not found' } } };
      if (request.method !== 'GET') return { status: 405, body: { error: { code: '0x80040216', message: 'method' } } };
      if (!authorised) return { status: 401, body: { error: { code: '0x80072560', message: 'unauthorized' } } };

      const prefer = /odata\.maxpagesize=(\d+)/.exec(String(request.headers.prefer ?? ''));
      const size = dataset.pageSize(prefer ? Number(prefer[1]) : undefined);
      const skip = request.url.searchParams.get('$skiptoken');
      const offset = skip === null ? 0 : Number(skip);
      if (!Number.isInteger(offset) || offset < 0)
        return { status: 400, body: { error: { code: '0x80060888', message: 'bad skiptoken' } } };
      const value = dataset.slice(offset, size);
      const end = offset + value.length;
      const body: Record<string, unknown> = {
        '@odata.context': `${request.url.origin}${ROOT}$metadata#msdyn_transactions`,
        value,
      };
      if (end < dataset.totalRecords) {
        const next = new URL(request.url.href);
        next.searchParams.set('$skiptoken', String(end));
        body['@odata.nextLink'] = next.href;
      }
      return {
        status: 200,
        headers: { 'odata-version': '4.0', 'preference-applied': `odata.maxpagesize=${size}` },
        body,
      };
    },
  };
}

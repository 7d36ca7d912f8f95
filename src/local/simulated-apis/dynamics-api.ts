// Simulated Microsoft Dynamics 365: POST /oauth2/token (client credentials: only the clients it is given, by
// default LOCAL_DYNAMICS_CLIENT_ID / LOCAL_DYNAMICS_CLIENT_SECRET; any other is 401 invalid_client), OData v4 GET
// /api/data/v9.2/msdyn_transactions honouring `Prefer: odata.maxpagesize` and paging by @odata.nextLink
// ($skiptoken); HEAD /api/data/v9.2/ is the health check (the service root, no data; without a valid token 401 with
// a Bearer challenge, as Dataverse answers).
import { randomUUID } from 'node:crypto';
import { amountFor, Dataset, type DatasetSettings, dateFor } from './dataset.ts';
import type { RequestKind } from './fault-control.ts';
import type { SimRequest, SimResponse, VendorApi } from './server.ts';

/** The one app registration the local Dynamics accepts (a connection's credentials `{ clientId, clientSecret }`). */
export const LOCAL_DYNAMICS_CLIENT_ID = 'local-dynamics-client';
export const LOCAL_DYNAMICS_CLIENT_SECRET = 'local-dynamics-secret';
const ROOT = '/api/data/v9.2/';
const ENTITY = `${ROOT}msdyn_transactions`;

export interface DynamicsClient {
  clientId: string;
  clientSecret: string;
}

/** `clients`: the app registrations it accepts (default: the local one only). */
export function dynamicsApi(
  options: { clients?: readonly DynamicsClient[]; tokenLifetimeSeconds?: number; data?: DatasetSettings } = {},
): VendorApi {
  const clients = options.clients ?? [
    { clientId: LOCAL_DYNAMICS_CLIENT_ID, clientSecret: LOCAL_DYNAMICS_CLIENT_SECRET },
  ];
  /** Issued access tokens -> the client id they were issued to. */
  const tokens = new Map<string, string>();
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
        const client = clients.find(
          (c) => c.clientId === form.get('client_id') && c.clientSecret === form.get('client_secret'),
        );
        if (!client) return { status: 401, body: { error: 'invalid_client' } };
        const token = randomUUID();
        tokens.set(token, client.clientId);
        return {
          status: 200,
          credential: client.clientId,
          body: { token_type: 'Bearer', expires_in: options.tokenLifetimeSeconds ?? 3599, access_token: token },
        };
      }
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      const clientId = bearer === undefined ? undefined : tokens.get(bearer);
      const authorised = clientId !== undefined;
      const challenge = { 'www-authenticate': `Bearer authorization_uri="${request.url.origin}/oauth2/authorize"` };
      if (path === ROOT && request.method === 'HEAD')
        return authorised ? { status: 200 } : { status: 401, headers: challenge };
      if (path !== ENTITY)
        return { status: 404, body: { error: { code: '0x80060888', message: 'Resource not found' } } };
      if (request.method !== 'GET') return { status: 405, body: { error: { code: '0x80040216', message: 'method' } } };
      if (!authorised) {
        return { status: 401, headers: challenge, body: { error: { code: '0x80072560', message: 'unauthorized' } } };
      }

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
        credential: clientId,
        headers: { 'odata-version': '4.0', 'preference-applied': `odata.maxpagesize=${size}` },
        body,
      };
    },
  };
}

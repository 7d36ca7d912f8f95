// Simulated Bufdir reporting export: GET /api/v1/exports/records?page=&pageSize= (1-based pages, meta.totalPages),
// the API key in `X-Api-Key` (only the keys it is given: by default LOCAL_BUFDIR_API_KEY; any other is 401);
// GET /api/v1/status is the health check (no key needed).
import { Dataset, type DatasetSettings, dateFor } from './dataset.ts';
import type { RequestKind } from './fault-control.ts';
import type { SimRequest, SimResponse, VendorApi } from './server.ts';

/** The one API key the local Bufdir export accepts (a connection's credentials `{ apiKey }`). */
export const LOCAL_BUFDIR_API_KEY = 'local-bufdir-key';

/** `apiKeys`: the keys it accepts (default: LOCAL_BUFDIR_API_KEY only). */
export function bufdirApi(options: { apiKeys?: readonly string[]; data?: DatasetSettings } = {}): VendorApi {
  const apiKeys = new Set(options.apiKeys ?? [LOCAL_BUFDIR_API_KEY]);
  const dataset = new Dataset(
    (i, invalid) => ({
      id: `rep-${String(i + 1).padStart(7, '0')}`,
      activityId: `act-${(i % 250) + 1}`,
      participants: invalid ? -1 : 3 + (i % 17),
      hours: 1 + (i % 8) / 2,
      date: dateFor(i),
    }),
    options.data,
  );
  return {
    name: 'bufdir',
    dataset,
    classify: (_method: string, path: string): RequestKind =>
      path === '/api/v1/status' ? 'health' : path === '/api/v1/exports/records' ? 'data' : 'other',
    handle(request: SimRequest): SimResponse {
      const path = request.url.pathname;
      if (path === '/api/v1/status') return { status: 200, body: { status: 'ok' } };
      if (path !== '/api/v1/exports/records') return { status: 404, body: { title: 'Not Found', status: 404 } };
      if (request.method !== 'GET') return { status: 405, body: { title: 'Method Not Allowed', status: 405 } };
      const apiKey = request.headers['x-api-key'];
      if (typeof apiKey !== 'string' || !apiKeys.has(apiKey)) {
        return { status: 401, body: { title: 'Unauthorized', status: 401 } };
      }
      const page = Number(request.url.searchParams.get('page') ?? '1');
      if (!Number.isInteger(page) || page < 1)
        return { status: 400, body: { title: 'page must be 1 or more', status: 400 } };
      const size = dataset.pageSize(Number(request.url.searchParams.get('pageSize') ?? 'NaN'));
      const data = dataset.slice((page - 1) * size, size);
      return {
        status: 200,
        credential: apiKey,
        body: {
          data,
          meta: {
            page,
            pageSize: size,
            totalRecords: dataset.totalRecords,
            totalPages: Math.ceil(dataset.totalRecords / size),
          },
        },
      };
    },
  };
}

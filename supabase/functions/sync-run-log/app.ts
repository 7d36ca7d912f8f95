// The sync-run-log Edge Function as a runtime-neutral `Request -> Response` handler (handler.ts wires it to the
// environment, index.ts serves it). The routes live in routes/ by group (runs, integrations, alerts); who may do
// what is in access.ts, the inputs in schemas.ts, the OpenAPI document (GET /openapi.json) in openapi.ts:
//   service role: any org (orgId in the query, or the body of POST /runs), any transition the database allows;
//   coordinator / admin: their own org only (from the verified org_id claim): read everything, Sync now, cancel;
//   admin: also change the org's connections and schedules.
// Whatever belongs to another org is a 404 (or an empty list), the same as what does not exist.
import { createFunctionHandler, type Route } from '../_shared/function-handler.ts';
import { json } from '../_shared/http.ts';
import { parseInput, queryObject } from '../_shared/validation.ts';
import { createAccess } from './access.ts';
import type { SyncRunLogDeps } from './deps.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { alertRoutes } from './routes/alerts.ts';
import { integrationRoutes } from './routes/integrations.ts';
import { runRoutes } from './routes/runs.ts';
import { noQuery } from './schemas.ts';

export type { SyncRunLogDeps };
export const FUNCTION_NAME = 'sync-run-log';

/** Every route of the function (the OpenAPI document has one operation per route; a test holds them together). */
export function syncRunLogRoutes(deps: SyncRunLogDeps): Route[] {
  const access = createAccess(deps);
  let document: Record<string, unknown> | null = null;
  return [
    ...runRoutes(deps, access, FUNCTION_NAME),
    ...integrationRoutes(deps, access),
    ...alertRoutes(deps, access),
    {
      method: 'GET',
      path: '/openapi.json',
      handle(context) {
        parseInput(noQuery, queryObject(context.url.searchParams), 'query'); // strict, as every route
        document ??= buildOpenApiDocument({ projectUrl: deps.projectUrl });
        return json(200, document);
      },
    },
  ];
}

export function createSyncRunLogHandler(deps: SyncRunLogDeps): (request: Request) => Promise<Response> {
  return createFunctionHandler({ name: FUNCTION_NAME, routes: syncRunLogRoutes(deps), log: deps.log });
}

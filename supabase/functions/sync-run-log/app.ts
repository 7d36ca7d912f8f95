// The sync-run-log Edge Function as a runtime-neutral `Request -> Response` handler (handler.ts wires it to the
// environment, index.ts serves it). Who may do what:
//   service role: any org (orgId in the body or query), any transition the database allows;
//   coordinator / admin: their own org only (from the verified org_id claim), manual runs, cancelling only.
// A run of another org is a 404, the same as an unknown id: org A never learns of org B's runs.
import type { Authenticator, Caller } from '../_shared/auth.ts';
import type { DatabasePorts } from '../_shared/database.ts';
import { fromDatabaseError, SyncRunLogError } from '../_shared/errors.ts';
import { createFunctionHandler, type Route, type RouteContext } from '../_shared/function-handler.ts';
import { json, readJsonBody } from '../_shared/http.ts';
import type { Logger } from '../_shared/log.ts';
import { SyncRunLogRepository } from '../_shared/run-log.repository.ts';
import { parseInput, queryObject, UUID_PATTERN } from '../_shared/validation.ts';
import {
  historyQuery,
  latestQuery,
  orgQuery,
  SERVICE_ONLY_START_FIELDS,
  SERVICE_ONLY_UPDATE_FIELDS,
  serviceStartRun,
  serviceUpdateRun,
  userStartRun,
  userUpdateRun,
} from './schemas.ts';

export const FUNCTION_NAME = 'sync-run-log';

export interface SyncRunLogDeps {
  /** Who is calling (auth.ts): user tokens and service keys, as the project's environment says. */
  auth: Authenticator;
  db: DatabasePorts;
  log: Logger;
}

export function createSyncRunLogHandler(deps: SyncRunLogDeps): (request: Request) => Promise<Response> {
  async function caller(context: RouteContext): Promise<Caller> {
    const who = await deps.auth.authenticate(context.request.headers);
    context.annotate(who.kind === 'service' ? { caller: 'service_role' } : { caller: who.userRole, orgId: who.orgId });
    return who;
  }

  const readAs = (who: Caller) => new SyncRunLogRepository(deps.db.asCaller(who));
  const writer = () => new SyncRunLogRepository(deps.db.asService());

  /** The org a read is about: the user's own, or the service role's `orgId` parameter. */
  function orgOf(who: Caller, orgId: string | undefined): string {
    if (who.kind === 'user') {
      if (orgId !== undefined)
        throw new SyncRunLogError('forbidden', 'orgId is for the service role: your org comes from your token');
      return who.orgId;
    }
    if (orgId === undefined)
      throw new SyncRunLogError('invalid_argument', 'query.orgId: required for the service role');
    return orgId.toLowerCase();
  }

  const routes: Route[] = [
    {
      method: 'POST',
      path: '/runs',
      async handle(context) {
        const who = await caller(context);
        const body = await readJsonBody(context.request);
        let runId: string;
        if (who.kind === 'service') {
          const input = parseInput(serviceStartRun, body, 'body');
          runId = await writer().insertRunLog(input.orgId.toLowerCase(), input.integrationType, input.triggeredBy, {
            scheduledFor: input.scheduledFor,
            idempotencyKey: input.idempotencyKey,
          });
        } else {
          refuseServiceOnlyFields(body);
          const input = parseInput(userStartRun, body, 'body');
          runId = await writer().insertRunLog(who.orgId, input.integrationType, 'manual');
        }
        const run = await writer().getRun(runId);
        if (!run) throw new SyncRunLogError('internal', 'the new run could not be read back');
        return json(201, { run }, { location: `/functions/v1/${FUNCTION_NAME}/runs/${run.id}` });
      },
    },
    {
      method: 'PATCH',
      path: '/runs/:id',
      async handle(context) {
        const who = await caller(context);
        const runId = runIdOf(context);
        const body = await readJsonBody(context.request);
        if (who.kind === 'service') {
          const input = parseInput(serviceUpdateRun, body, 'body');
          const run = await writer().updateRunLogStatus(
            runId,
            input.status,
            input.recordsProcessed ?? null,
            input.recordsFailed ?? null,
            input.errorMessage ?? null,
          );
          return json(200, { run });
        }
        refuseFields(body, SERVICE_ONLY_UPDATE_FIELDS);
        const input = parseInput(userUpdateRun, body, 'body');
        if (input.status !== 'cancelled') {
          throw new SyncRunLogError('forbidden', 'coordinators and admins may only cancel a run (status "cancelled")');
        }
        // The run must be visible to the user (RLS: their org); org_id never changes, so the check holds.
        const visible = await readAs(who).getRun(runId);
        if (!visible) throw notFound();
        const run = await writer().updateRunLogStatus(runId, 'cancelled', null, null, null);
        return json(200, { run });
      },
    },
    {
      method: 'GET',
      path: '/runs/latest',
      async handle(context) {
        const who = await caller(context);
        const query = parseInput(latestQuery, queryObject(context.url.searchParams), 'query');
        const runs = await readAs(who).getLastRunPerIntegration(orgOf(who, query.orgId));
        return json(200, { runs });
      },
    },
    {
      method: 'GET',
      path: '/runs',
      async handle(context) {
        const who = await caller(context);
        const query = parseInput(historyQuery, queryObject(context.url.searchParams), 'query');
        const runs = await readAs(who).getRunHistory(orgOf(who, query.orgId), query.integrationType, query.limit ?? 50);
        return json(200, { runs });
      },
    },
    {
      method: 'GET',
      path: '/runs/:id',
      async handle(context) {
        const who = await caller(context);
        const runId = runIdOf(context);
        const query = parseInput(orgQuery, queryObject(context.url.searchParams), 'query');
        if (who.kind === 'user' && query.orgId !== undefined) orgOf(who, query.orgId); // 403: the org is the token's
        const run = await readAs(who).getRun(runId);
        if (!run) throw notFound();
        return json(200, { run });
      },
    },
    {
      method: 'GET',
      path: '/health',
      async handle(context) {
        const who = await caller(context);
        const query = parseInput(orgQuery, queryObject(context.url.searchParams), 'query');
        const health = await integrationHealth(deps.db.asCaller(who), orgOf(who, query.orgId));
        return json(200, { health });
      },
    },
  ];

  return createFunctionHandler({ name: FUNCTION_NAME, routes, log: deps.log });
}

/** 403 for fields only the service role may send (unknown fields stay 400, from the schema). */
function refuseFields(body: unknown, fields: readonly string[]): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const given = fields.filter((field) => Object.hasOwn(body, field));
  if (given.length > 0) {
    throw new SyncRunLogError('forbidden', `${given.join(', ')}: only the service role may set these`);
  }
}

function refuseServiceOnlyFields(body: unknown): void {
  refuseFields(body, SERVICE_ONLY_START_FIELDS);
  if (typeof body === 'object' && body !== null && (body as Record<string, unknown>).triggeredBy === 'scheduler') {
    throw new SyncRunLogError('forbidden', 'coordinators and admins start manual runs only');
  }
}

function runIdOf(context: RouteContext): string {
  const id = context.params.id ?? '';
  if (!UUID_PATTERN.test(id)) throw notFound();
  return id.toLowerCase();
}

function notFound(): SyncRunLogError {
  return new SyncRunLogError('not_found', 'run not found');
}

/** The integrations' health (rpc get_integration_health, RLS like the run log), keys in camelCase. */
async function integrationHealth(
  port: ReturnType<DatabasePorts['asService']>,
  orgId: string,
): Promise<Record<string, unknown>[]> {
  let result: Awaited<ReturnType<typeof port.rpc>>;
  try {
    result = await port.rpc('get_integration_health', { p_org_id: orgId });
  } catch {
    throw new SyncRunLogError('unavailable', 'the run log could not be reached');
  }
  if (result.error) throw fromDatabaseError(result.error);
  const rows = Array.isArray(result.data) ? (result.data as Record<string, unknown>[]) : [];
  return rows.map(camelCaseKeys);
}

function camelCaseKeys(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), value]),
  );
}

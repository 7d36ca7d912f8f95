// The integration routes of an org's staff: the overview of every integration the project knows (one database
// call), the connection (admin: PUT replaces it, credentials write-only), the schedule (admin: PUT replaces it,
// answered with its next periods) and the period ledger.
// Credentials go from the validated body to Vault (upsert_sync_connection) and nowhere else: no response, log line
// or error message carries them, nor the names of unknown fields sent inside them.
import type { Caller } from '../../_shared/auth.ts';
import { SyncRunLogError } from '../../_shared/errors.ts';
import type { Route, RouteContext } from '../../_shared/function-handler.ts';
import { CORS_HEADERS, json, readJsonBody } from '../../_shared/http.ts';
import type { IntegrationType } from '../../_shared/integrations/integration-types.ts';
import { IntegrationsRepository } from '../../_shared/integrations.repository.ts';
import { nextPeriods } from '../../_shared/schedule-periods.ts';
import { SchedulerRepository } from '../../_shared/scheduler/scheduler.repository.ts';
import { parseInput, problemOf, queryObject } from '../../_shared/validation.ts';
import { type Access, integrationTypeOf, orgOf, requireAdmin } from '../access.ts';
import type { SyncRunLogDeps } from '../deps.ts';
import { connectionBodies, orgQuery, periodsQuery, scheduleBody } from '../schemas.ts';

export function integrationRoutes(deps: SyncRunLogDeps, access: Access): Route[] {
  const integrationsAs = (who: Caller) => new IntegrationsRepository(deps.db.asCaller(who));
  const integrationsWriter = () => new IntegrationsRepository(deps.db.asService());
  const schedulesWriter = () => new SchedulerRepository(deps.db.asService());

  /** An admin route's target: the caller (an admin or the service role), the integration and the org. */
  async function adminTarget(context: RouteContext, action: string) {
    const who = await access.caller(context);
    requireAdmin(who, action);
    const type = integrationTypeOf(context);
    const query = parseInput(orgQuery, queryObject(context.url.searchParams), 'query');
    return { type, orgId: orgOf(who, query.orgId) };
  }

  return [
    {
      method: 'GET',
      path: '/integrations',
      async handle(context) {
        const who = await access.caller(context);
        const query = parseInput(orgQuery, queryObject(context.url.searchParams), 'query');
        const integrations = await integrationsAs(who).getIntegrationsOverview(orgOf(who, query.orgId), {
          now: access.now(),
        });
        return json(200, { integrations });
      },
    },
    {
      method: 'PUT',
      path: '/integrations/:type/connection',
      async handle(context) {
        const { type, orgId } = await adminTarget(context, 'change connections');
        const body = parseConnectionBody(type, await readJsonBody(context.request));
        const connection = await integrationsWriter().upsertConnection({
          orgId,
          integrationType: type,
          settings: body.settings ?? {},
          credentials: body.credentials,
          enabled: body.enabled ?? true,
        });
        return json(200, { connection });
      },
    },
    {
      method: 'DELETE',
      path: '/integrations/:type/connection',
      async handle(context) {
        const { type, orgId } = await adminTarget(context, 'delete connections');
        const deleted = await integrationsWriter().deleteConnection(orgId, type);
        if (!deleted) throw new SyncRunLogError('not_found', `${type} has no connection in this org`);
        return noContent();
      },
    },
    {
      method: 'PUT',
      path: '/integrations/:type/schedule',
      async handle(context) {
        const { type, orgId } = await adminTarget(context, 'change schedules');
        const input = parseInput(scheduleBody, await readJsonBody(context.request), 'body');
        // The cron expression and the time zone are checked with croner first: a 400 that says what is wrong.
        const schedule = await schedulesWriter().upsertSchedule({
          orgId,
          integrationType: type,
          cronExpression: input.cronExpression,
          timeZone: input.timeZone,
          enabled: input.enabled,
          runTimeoutSeconds: input.runTimeoutSeconds,
        });
        return json(200, { schedule: { ...schedule, nextPeriods: nextPeriods(schedule, access.now()) } });
      },
    },
    {
      method: 'DELETE',
      path: '/integrations/:type/schedule',
      async handle(context) {
        const { type, orgId } = await adminTarget(context, 'delete schedules');
        const deleted = await schedulesWriter().deleteSchedule(orgId, type);
        if (!deleted) throw new SyncRunLogError('not_found', `${type} has no schedule in this org`);
        return noContent();
      },
    },
    {
      method: 'GET',
      path: '/integrations/:type/periods',
      async handle(context) {
        const who = await access.caller(context);
        const type = integrationTypeOf(context);
        const query = parseInput(periodsQuery, queryObject(context.url.searchParams), 'query');
        const orgId = orgOf(who, query.orgId);
        const from = new Date(query.from);
        const to = new Date(query.to);
        if (!(from.getTime() < to.getTime())) {
          throw new SyncRunLogError('invalid_argument', 'query.from must be before query.to');
        }
        // As the caller: another org's schedule is not there (RLS), the same 404 as none.
        const ledger = await integrationsAs(who).getPeriodLedger(orgId, type, from, to, { now: access.now() });
        if (!ledger) throw new SyncRunLogError('not_found', `${type} has no schedule in this org`);
        return json(200, { periods: ledger.periods });
      },
    },
  ];
}

/** 204 without a content type: a client that reads a JSON content type as a body to parse (supabase-js) must not. */
function noContent(): Response {
  return new Response(null, { status: 204, headers: { ...CORS_HEADERS } });
}

/**
 * The body of PUT /integrations/{type}/connection, checked with the adapter's schemas. Messages name fields and
 * what is wrong with them, never a value; unknown fields inside credentials are not named either (a pasted secret
 * could be a key).
 */
function parseConnectionBody(
  type: IntegrationType,
  body: unknown,
): { settings?: Record<string, unknown>; credentials: Record<string, unknown>; enabled?: boolean } {
  const result = connectionBodies[type].safeParse(body);
  if (result.success) return result.data as ReturnType<typeof parseConnectionBody>;
  const problems = result.error.issues.slice(0, 3).map((issue) => {
    if (issue.path[0] === 'credentials' && issue.code === 'unrecognized_keys') {
      const shape = connectionBodies[type].shape.credentials as unknown as { shape?: Record<string, unknown> };
      const path = ['body', ...issue.path.map(String)].join('.');
      return `${path}: has fields ${type} does not take (it takes ${Object.keys(shape.shape ?? {}).join(', ')})`;
    }
    return problemOf(issue, body, 'body');
  });
  throw new SyncRunLogError('invalid_argument', problems.join('; '));
}

// The run routes: "Sync now" and the service role's own runs (POST /runs), cancel and transitions (PATCH), the
// last run per integration, the filtered and keyset-paged history, one run, and the health table.
//   POST /runs by a coordinator or admin queues a manual run of their org (pending; the executor claims it): 400 for
//   an integration no adapter knows, 409 not_configured without an enabled connection with credentials, 409
//   already_running (details.existingRunId) when one is queued or running. By the service role it records a run
//   the caller executes itself (status running), as before.
// A run of another org is a 404, the same as an unknown id: org A never learns of org B's runs.
import type { Caller } from '../../_shared/auth.ts';
import type { DatabasePorts } from '../../_shared/database.ts';
import { callRpc, SyncRunLogError } from '../../_shared/errors.ts';
import type { Route } from '../../_shared/function-handler.ts';
import {
  type IntegrationHealth,
  type IntegrationHealthRow,
  toIntegrationHealth,
} from '../../_shared/health/health.types.ts';
import { json, readJsonBody } from '../../_shared/http.ts';
import { INTEGRATION_TYPES } from '../../_shared/integrations/integration-types.ts';
import { IntegrationsRepository } from '../../_shared/integrations.repository.ts';
import { SyncRunLogRepository } from '../../_shared/run-log.repository.ts';
import type { SyncRun } from '../../_shared/run-log.types.ts';
import { duePeriods, latestPeriod, parseScheduleCron } from '../../_shared/scheduler/cron.ts';
import { SchedulerRepository } from '../../_shared/scheduler/scheduler.repository.ts';
import { parseInput, queryObject } from '../../_shared/validation.ts';
import { type Access, isKnownIntegration, orgOf, uuidParam } from '../access.ts';
import type { SyncRunLogDeps } from '../deps.ts';
import {
  historyQuery,
  latestQuery,
  noQuery,
  orgQuery,
  SERVICE_ONLY_START_FIELDS,
  SERVICE_ONLY_UPDATE_FIELDS,
  serviceStartRun,
  serviceUpdateRun,
  userStartRun,
  userUpdateRun,
} from '../schemas.ts';

export const DEFAULT_PAGE_SIZE = 50;
/** How far ahead of the function's clock a service caller's scheduledFor may be. */
const MAX_PERIOD_AHEAD_MS = 5 * 60_000;

export function runRoutes(deps: SyncRunLogDeps, access: Access, functionName: string): Route[] {
  const readAs = (who: Caller) => new SyncRunLogRepository(deps.db.asCaller(who));
  const writer = () => new SyncRunLogRepository(deps.db.asService());

  /** Hands a queued run on (deps.onRunQueued) without waiting: its failure never fails the request. */
  function handOff(run: SyncRun, requestId: string): void {
    if (!deps.onRunQueued) return;
    const warn = (error: unknown) =>
      deps.log.log('warn', `the queued run was not handed on: ${error instanceof Error ? error.message : error}`, {
        requestId,
        runId: run.id,
      });
    try {
      const result = deps.onRunQueued(run);
      if (result instanceof Promise) result.catch(warn);
    } catch (error) {
      warn(error);
    }
  }

  /**
   * A service caller's scheduler run of a period. Where the integration has a schedule, the period must be one of
   * its periods, and the due periods it overtakes are recorded as missed with the start, as the tick does: the start
   * moves the schedule past them, and nothing would run or report them afterwards.
   */
  async function startPeriod(
    orgId: string,
    integrationType: string,
    period: Date,
    idempotencyKey: string | undefined,
  ): Promise<string> {
    const scheduler = new SchedulerRepository(deps.db.asService());
    const schedule = (await scheduler.getSchedules(orgId)).find((s) => s.integrationType === integrationType);
    if (!schedule) {
      return writer().insertRunLog(orgId, integrationType, 'scheduler', { scheduledFor: period, idempotencyKey });
    }
    const cron = parseScheduleCron(schedule.cronExpression, schedule.timeZone);
    if (latestPeriod(cron, period)?.getTime() !== period.getTime()) {
      throw new SyncRunLogError(
        'invalid_argument',
        `body.scheduledFor: ${period.toISOString()} is not a period of the ${integrationType} schedule ` +
          `(${schedule.cronExpression} in ${schedule.timeZone})`,
      );
    }
    const last = schedule.lastScheduledFor ? Date.parse(schedule.lastScheduledFor) : Number.NEGATIVE_INFINITY;
    const due = duePeriods(cron, new Date(Math.max(Date.parse(schedule.activeFrom) - 1, last)), period);
    const runId = crypto.randomUUID();
    const missed = await scheduler.startScheduledPeriod({
      orgId,
      integrationType,
      period,
      idempotencyKey: idempotencyKey ?? null,
      runId,
      missed: due?.missed ?? [],
      missedCount: due?.missedCount ?? 0,
    });
    if (missed) {
      deps.log.log('warn', 'periods missed', {
        event: 'periods_missed',
        orgId,
        integrationType,
        runId,
        alertId: missed.id,
        count: missed.details.missed_count,
      });
    }
    return runId;
  }

  return [
    {
      method: 'POST',
      path: '/runs',
      async handle(context) {
        const who = await access.caller(context);
        refuseQuery(who, context.url.searchParams);
        const body = await readJsonBody(context.request);
        let run: SyncRun | null;
        if (who.kind === 'service') {
          const input = parseInput(serviceStartRun, body, 'body');
          // A period far ahead would make every period before it "older than the newest started": the schedule
          // would start nothing until then. A ticker's clock may run a little ahead of this one.
          if (input.scheduledFor && Date.parse(input.scheduledFor) > access.now().getTime() + MAX_PERIOD_AHEAD_MS) {
            throw new SyncRunLogError(
              'invalid_argument',
              'body.scheduledFor: more than 5 minutes ahead; a scheduler run stands for a period that is due',
            );
          }
          const orgId = input.orgId.toLowerCase();
          const runId = input.scheduledFor
            ? await startPeriod(orgId, input.integrationType, new Date(input.scheduledFor), input.idempotencyKey)
            : await writer().insertRunLog(orgId, input.integrationType, input.triggeredBy, {
                idempotencyKey: input.idempotencyKey,
              });
          run = await writer().getRun(runId);
          if (!run) throw new SyncRunLogError('internal', 'the new run could not be read back');
        } else {
          refuseServiceOnlyFields(body);
          const input = parseInput(userStartRun, body, 'body');
          if (!isKnownIntegration(input.integrationType)) {
            throw new SyncRunLogError(
              'invalid_argument',
              `body.integrationType: "${input.integrationType}" is not an integration this project knows (${INTEGRATION_TYPES.join(', ')})`,
            );
          }
          run = await new IntegrationsRepository(deps.db.asService()).queueManualRun(who.orgId, input.integrationType);
          handOff(run, context.requestId);
        }
        return json(201, { run }, { location: `/functions/v1/${functionName}/runs/${run.id}` });
      },
    },
    {
      method: 'PATCH',
      path: '/runs/:id',
      async handle(context) {
        const who = await access.caller(context);
        const runId = uuidParam(context, 'id', 'run');
        refuseQuery(who, context.url.searchParams);
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
        if (!visible) throw new SyncRunLogError('not_found', 'run not found');
        const run = await writer().updateRunLogStatus(runId, 'cancelled', null, null, null);
        return json(200, { run });
      },
    },
    {
      method: 'GET',
      path: '/runs/latest',
      async handle(context) {
        const who = await access.caller(context);
        const query = parseInput(latestQuery, queryObject(context.url.searchParams), 'query');
        const runs = await readAs(who).getLastRunPerIntegration(orgOf(who, query.orgId));
        return json(200, { runs });
      },
    },
    {
      method: 'GET',
      path: '/runs',
      async handle(context) {
        const who = await access.caller(context);
        const query = parseInput(historyQuery, queryObject(context.url.searchParams), 'query');
        const page = await readAs(who).getRunHistoryPage(orgOf(who, query.orgId), query.integrationType, {
          limit: query.limit ?? DEFAULT_PAGE_SIZE,
          status: query.status,
          triggeredBy: query.triggeredBy,
          before: query.before,
        });
        return json(200, { runs: page.items, nextCursor: page.nextCursor });
      },
    },
    {
      method: 'GET',
      path: '/runs/:id',
      async handle(context) {
        const who = await access.caller(context);
        const runId = uuidParam(context, 'id', 'run');
        const query = parseInput(orgQuery, queryObject(context.url.searchParams), 'query');
        if (who.kind === 'user' && query.orgId !== undefined) orgOf(who, query.orgId); // 403: the org is the token's
        const run = await readAs(who).getRun(runId);
        // The service role naming an org sees that org's runs only, as on every other route.
        if (!run || (query.orgId !== undefined && run.orgId !== query.orgId.toLowerCase())) {
          throw new SyncRunLogError('not_found', 'run not found');
        }
        return json(200, { run });
      },
    },
    {
      method: 'GET',
      path: '/health',
      async handle(context) {
        const who = await access.caller(context);
        const query = parseInput(orgQuery, queryObject(context.url.searchParams), 'query');
        const health = await integrationHealth(deps.db, who, orgOf(who, query.orgId));
        return json(200, { health });
      },
    },
  ];
}

/** For the routes that take no query (POST /runs, PATCH /runs/{id}): a user's orgId is 403, anything else 400. */
function refuseQuery(who: Caller, params: URLSearchParams): void {
  const query = queryObject(params);
  if (who.kind === 'user' && Object.hasOwn(query, 'orgId')) orgOf(who, query.orgId);
  parseInput(noQuery, query, 'query');
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

/** The integrations' health (rpc get_integration_health, RLS like the run log), keys in camelCase. */
async function integrationHealth(db: DatabasePorts, who: Caller, orgId: string): Promise<IntegrationHealth[]> {
  const data = await callRpc(
    db.asCaller(who),
    'get_integration_health',
    { p_org_id: orgId },
    'the run log could not be reached',
  );
  // The overview's mapper: an integration's health reads the same in GET /health and GET /integrations.
  return Array.isArray(data) ? (data as IntegrationHealthRow[]).map(toIntegrationHealth) : [];
}

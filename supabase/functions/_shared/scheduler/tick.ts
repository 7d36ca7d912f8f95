// tick(now, deps): the scheduler's one entry point, called every minute by pg_cron (through the sync-scheduler
// Edge Function) and by the local ticker. In order:
//   1. the reaper fails runs that stopped sending heartbeats, which frees their slot for the next period;
//   2. queued "Sync now" runs are claimed and handed to the executor (queued-runs.ts; hosted, the sync-run-log
//      function also hands each click to the sync-scheduler function at once, locally the ticker claims every second);
//   3. for every enabled schedule, the periods due since the last started one (cron in the schedule's time zone):
//      the latest is started with scheduled_for = period and key `<integration>:<period ISO UTC>`; the database
//      decides (a key used before: duplicate_period; a run still queued or running: already_running; an older period
//      than one started already: superseded). Earlier due periods are recorded as missed: never a catch-up storm;
//   4. a started run gets its drift checked (alert over 5 minutes) and is handed to the executor;
//   5. functions about to be used are pinged ahead of their period (cold-start incidents);
//   6. the health monitor's step, when given (it checks only what is due).
// Everything it decides is in the run log, the alerts or the report it returns; nothing fails the whole tick but
// an unreachable database, and even then the report says so.
import { SyncRunLogError } from '../errors.ts';
import { type Logger, silentLogger } from '../log.ts';
import { duePeriods, parseScheduleCron, periodKey, type ScheduleCron } from './cron.ts';
import { type AlertNotice, alertNotifier } from './notify.ts';
import { claimQueuedRuns } from './queued-runs.ts';
import { retryWhileUnavailable } from './retry.ts';
import type { Alert, Schedule } from './schedule.types.ts';
import type { SkipReason, TickDeps, TickError, TickReport } from './tick.types.ts';
import { collectWarmUp, describe, type WarmUpTargets, warmUp } from './tick-warm-up.ts';

export const DRIFT_THRESHOLD_SECONDS = 300;
export const DEFAULT_RUN_TIMEOUT_SECONDS = 1800;
const RETRY_DELAYS_MS = [500, 2_000];

export async function tick(now: Date, deps: TickDeps): Promise<TickReport> {
  const log = deps.log ?? silentLogger;
  const notifier = alertNotifier({
    log,
    webhookUrl: deps.alertWebhookUrl,
    timeoutMs: deps.webhookTimeoutMs,
    fetch: deps.fetch,
  });
  try {
    return await tickSteps(now, deps, log, notifier.notify);
  } finally {
    await notifier.drained();
  }
}

async function tickSteps(
  now: Date,
  deps: TickDeps,
  log: Logger,
  notify: (notice: AlertNotice) => void,
): Promise<TickReport> {
  const report: TickReport = {
    now: now.toISOString(),
    claimed: [],
    started: [],
    skipped: [],
    missed: [],
    reaped: [],
    warmUps: [],
    alerts: [],
    errors: [],
  };
  const fail = (error: TickError) => {
    report.errors.push(error);
    log.log('error', `scheduler ${error.stage} failed`, { event: 'tick_error', ...error });
  };
  const alert = async (notice: AlertNotice) => {
    report.alerts.push({
      kind: notice.kind,
      orgId: notice.orgId,
      integrationType: notice.integrationType,
      runId: notice.runId,
      alertId: notice.alertId,
    });
    notify(notice);
  };

  // 1. The reaper, before anything starts: a stuck run must not hold the slot of this tick's period.
  try {
    report.reaped = await deps.scheduler.reapStuckRuns(
      now,
      deps.defaultRunTimeoutSeconds ?? DEFAULT_RUN_TIMEOUT_SECONDS,
    );
    for (const run of report.reaped) {
      await alert({
        kind: 'stuck_run',
        orgId: run.orgId,
        integrationType: run.integrationType,
        runId: run.runId,
        alertId: null,
        details: { lastSeenAt: run.lastSeenAt, timeoutSeconds: run.timeoutSeconds, errorMessage: run.errorMessage },
      });
    }
  } catch (error) {
    fail({ stage: 'reap', ...describe(error) });
  }

  // 2. Queued "Sync now" runs: before the schedules, so that a click waits no longer than it must.
  if (deps.queue) {
    try {
      report.claimed = await claimQueuedRuns({ ...deps, queue: deps.queue });
    } catch (error) {
      fail({ stage: 'claim', ...describe(error) });
    }
  }

  let schedules: Schedule[];
  try {
    schedules = await deps.scheduler.getSchedulesForTick();
  } catch (error) {
    fail({ stage: 'schedules', ...describe(error) });
    return finish(report, log);
  }

  // 3 and 4: each schedule on its own; a few at once.
  const warmUps: WarmUpTargets = new Map();
  await eachLimited(schedules, deps.concurrency ?? 8, async (schedule) => {
    const where = { orgId: schedule.orgId, integrationType: schedule.integrationType };
    let cron: ScheduleCron;
    try {
      cron = cachedCron(schedule.cronExpression, schedule.timeZone);
    } catch (error) {
      fail({ stage: 'due', ...where, ...describe(error) });
      return;
    }
    await startDue(schedule, cron, now, deps, report, fail, alert);
    collectWarmUp(schedule, cron, now, deps, warmUps);
  });

  deps.onStarted?.(structuredClone(report));

  // 5. Warm-up pings: one per URL, however many orgs' runs it serves.
  if (deps.warmUp) await warmUp(deps, now, warmUps, report, fail, alert, log);

  // 6. The health monitor (lightweight checks, each integration at most every 15 minutes: it decides what is due).
  if (deps.health) {
    try {
      report.health = await deps.health(
        now,
        schedules.map((s) => ({ orgId: s.orgId, integrationType: s.integrationType })),
      );
    } catch (error) {
      fail({ stage: 'health', ...describe(error) });
    }
  }
  return finish(report, log);
}

async function startDue(
  schedule: Schedule,
  cron: ScheduleCron,
  now: Date,
  deps: TickDeps,
  report: TickReport,
  fail: (error: TickError) => void,
  alert: (notice: AlertNotice) => Promise<void>,
): Promise<void> {
  const { orgId, integrationType } = schedule;
  const activeFrom = new Date(schedule.activeFrom).getTime() - 1;
  const last = schedule.lastScheduledFor ? new Date(schedule.lastScheduledFor).getTime() : Number.NEGATIVE_INFINITY;
  const due = duePeriods(cron, new Date(Math.max(activeFrom, last)), now);
  if (!due) return;

  const period = due.latest.toISOString();
  // The run's id is chosen here: a start retried after a lost answer is told duplicate_period, and the run in the
  // way is this tick's own exactly when its id is this one (it committed, with its missed periods; the answer was
  // lost). The periods it overtakes are recorded with the start, in its transaction: never a start without them.
  const runId = crypto.randomUUID();
  let started: { alert: Alert | null; answered: boolean };
  try {
    ({ value: started } = await retrying(deps, () =>
      deps.scheduler
        .startScheduledPeriod({
          orgId,
          integrationType,
          period: due.latest,
          idempotencyKey: periodKey(integrationType, due.latest),
          runId,
          missed: due.missed,
          missedCount: due.missedCount,
        })
        .then((alert) => ({ alert, answered: true }))
        .catch((error: unknown) => {
          if (error instanceof SyncRunLogError && error.details?.existingRunId === runId) {
            return { alert: null, answered: false };
          }
          throw error;
        }),
    ));
  } catch (error) {
    const reason = skipReason(error);
    if (reason) {
      report.skipped.push({ orgId, integrationType, period, reason });
      deps.log?.log('info', 'period skipped', { event: 'period_skipped', orgId, integrationType, period, reason });
    } else {
      fail({ stage: 'start', orgId, integrationType, ...describe(error) });
    }
    return;
  }

  deps.log?.log('info', 'run started', { event: 'run_started', orgId, integrationType, period, runId });
  deps.execute?.({
    runId,
    orgId,
    integrationType,
    scheduledFor: due.latest,
    timeoutSeconds: schedule.runTimeoutSeconds,
  });
  const entry = { orgId, integrationType, period, runId, driftSeconds: null as number | null };
  report.started.push(entry);

  try {
    const { value: drift, retried } = await retrying(deps, () =>
      deps.scheduler.checkRunDrift(runId, deps.driftThresholdSeconds ?? DRIFT_THRESHOLD_SECONDS),
    );
    entry.driftSeconds = drift.driftSeconds;
    // After a retry, "nothing new" may be the alert the lost first answer recorded: it is told all the same.
    const alertId =
      drift.alertId ?? (retried ? (await deps.scheduler.runAlert(orgId, runId, 'schedule_drift'))?.id : null);
    if (alertId) {
      await alert({
        kind: 'schedule_drift',
        orgId,
        integrationType,
        runId,
        alertId,
        details: {
          period,
          driftSeconds: drift.driftSeconds,
          thresholdSeconds: deps.driftThresholdSeconds ?? DRIFT_THRESHOLD_SECONDS,
        },
      });
    }
  } catch (error) {
    fail({ stage: 'drift', orgId, integrationType, ...describe(error) });
  }

  // The alert the start recorded; after a lost answer, read back.
  let missed = started.alert;
  if (!started.answered && due.missedCount > 0) {
    try {
      missed = (await retrying(deps, () => deps.scheduler.runAlert(orgId, runId, 'missed_periods'))).value;
    } catch (error) {
      fail({ stage: 'missed', orgId, integrationType, ...describe(error) });
    }
  }
  if (missed) {
    const periods = ((missed.details.missed_periods as string[] | undefined) ?? []).map((p) =>
      new Date(p).toISOString(),
    );
    const count = Number(missed.details.missed_count ?? periods.length);
    report.missed.push({ orgId, integrationType, runId, count, periods });
    await alert({
      kind: 'missed_periods',
      orgId,
      integrationType,
      runId,
      alertId: missed.id,
      details: { count, ranInstead: period, first: periods[0], last: periods.at(-1) },
    });
  }
}

/** `call`, asked again after the tick's retry delays while the database could not answer it (retry.ts). */
function retrying<T>(deps: TickDeps, call: () => Promise<T>): Promise<{ value: T; retried: boolean }> {
  return retryWhileUnavailable(deps.retryDelaysMs ?? RETRY_DELAYS_MS, call);
}

/** Parsed expressions, reused from tick to tick (a long-lived host ticks every minute over the same schedules). */
const crons = new Map<string, ScheduleCron>();

function cachedCron(expression: string, timeZone: string): ScheduleCron {
  const key = `${timeZone}\u0000${expression}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = parseScheduleCron(expression, timeZone);
    if (crons.size >= 10_000) crons.clear();
    crons.set(key, cron);
  }
  return cron;
}

function skipReason(error: unknown): SkipReason | null {
  if (!(error instanceof SyncRunLogError)) return null;
  if (error.code === 'duplicate_period') return 'duplicate_period';
  if (error.code === 'already_running') return 'already_running';
  if (error.code === 'period_superseded') return 'superseded';
  return null;
}

function finish(report: TickReport, log: Logger): TickReport {
  log.log(report.errors.length > 0 ? 'warn' : 'info', 'tick', {
    event: 'tick',
    now: report.now,
    claimed: report.claimed.length,
    started: report.started.length,
    skipped: report.skipped.length,
    missed: report.missed.length,
    reaped: report.reaped.length,
    warmUps: report.warmUps.length,
    alerts: report.alerts.length,
    errors: report.errors.length,
  });
  return report;
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

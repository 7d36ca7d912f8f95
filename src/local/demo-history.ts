// The demo org's 14 days of history, planned as data (no database): every scheduled run stands on a real period of
// its schedule (croner, as the tick computes them) with the key the tick writes, and together they show every
// outcome of the period ledger:
//   completed                most periods, started 1-9 s after the period
//   completed_with_failures  a few Xledger periods and one Bufdir export with records the vendor data failed
//   failed                   an Xledger run rate limited (a run_failed alert, acknowledged), a Bufdir export
//                            answered 503 (a run_failed alert, open), a Dynamics run the reaper failed (its worker
//                            stopped sending heartbeats; a stuck_run alert, acknowledged)
//   cancelled                a Dynamics run a coordinator cancelled after two minutes
//   late and missed          three days ago the scheduler was down from 01:12 to 03:41 UTC: the watchdog told each
//                            schedule at 01:20 (scheduler_stalled alerts, acknowledged), the tick that came back
//                            ran the latest due period of each schedule and recorded the others as missed, as
//                            tick.ts does; Dynamics' 03:00 run started 41 minutes late (a schedule_drift alert)
// plus three manual runs ("Sync now") between scheduled ones. Nothing is left pending or running: such a run would
// be no real one, and the reaper would fail it. Runs of one integration never overlap (one active run at a time).
// Periods whose run would not have ended by `now` are left to the ticker, which starts the latest of them.
// Deterministic for a given `now`: counts and durations come from a hash of the period key.
import { randomUUID } from 'node:crypto';
import { schedulePeriods } from '../../supabase/functions/_shared/schedule-periods.ts';
import { periodKey } from '../../supabase/functions/_shared/scheduler/cron.ts';
import { DRIFT_THRESHOLD_SECONDS } from '../../supabase/functions/_shared/scheduler/tick.ts';

export const DEMO_DAYS = 14;
export const DEMO_TIME_ZONE = 'Europe/Oslo';

export interface DemoSchedule {
  integrationType: 'xledger' | 'dynamics' | 'bufdir';
  cronExpression: string;
  runTimeoutSeconds: number;
  /** In words, for the start-up lines. */
  describe: string;
  /** Records a run reads: at least min, fewer than min + spread. */
  records: { min: number; spread: number };
  /** How long a run takes: at least min, fewer than min + spread seconds. */
  seconds: { min: number; spread: number };
}

export const DEMO_SCHEDULES: readonly DemoSchedule[] = [
  {
    integrationType: 'xledger',
    cronExpression: '*/5 * * * *',
    runTimeoutSeconds: 600,
    describe: 'every 5 minutes',
    records: { min: 2200, spread: 300 },
    seconds: { min: 4, spread: 56 },
  },
  {
    integrationType: 'dynamics',
    cronExpression: '0 * * * *',
    runTimeoutSeconds: 1800,
    describe: 'hourly',
    records: { min: 2200, spread: 300 },
    seconds: { min: 20, spread: 130 },
  },
  {
    integrationType: 'bufdir',
    cronExpression: '0 2 * * *',
    runTimeoutSeconds: 3600,
    describe: 'daily at 02:00',
    records: { min: 2300, spread: 200 },
    seconds: { min: 30, spread: 170 },
  },
];

export interface DemoRun {
  id: string;
  integrationType: string;
  triggeredBy: 'scheduler' | 'manual';
  scheduledFor: Date | null;
  idempotencyKey: string | null;
  status: 'completed' | 'failed' | 'cancelled';
  startedAt: Date;
  endedAt: Date;
  heartbeatAt: Date;
  recordsProcessed: number;
  recordsFailed: number;
  /** As the executor writes it (the seed sanitises it like the repository does). */
  errorMessage: string | null;
}

/** An incident to record through the alert functions, as the tick or the reaper did at `at`. */
export type DemoAlert =
  | { kind: 'schedule_drift'; runId: string; at: Date }
  | { kind: 'missed_periods'; runId: string; missed: Date[]; at: Date }
  | { kind: 'run_failed'; runId: string; at: Date; acknowledgedAt: Date | null }
  | { kind: 'scheduler_stalled'; integrationType: string; lastTickAt: Date; at: Date; acknowledgedAt: Date }
  | {
      kind: 'stuck_run';
      runId: string;
      integrationType: string;
      details: Record<string, unknown>;
      at: Date;
      acknowledgedAt: Date;
    };

export interface DemoHistory {
  activeFrom: Date;
  runs: DemoRun[];
  alerts: DemoAlert[];
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The plan of the demo org's history up to `now` (schedules active from `now` - 14 days). */
export function demoHistory(now: Date): DemoHistory {
  const activeFrom = new Date(now.getTime() - DEMO_DAYS * DAY);
  const midnight = Math.floor(now.getTime() / DAY) * DAY;
  /** `hh:mm:ss` UTC of the day `daysAgo` days before today (UTC). */
  const at = (daysAgo: number, hh: number, mm: number, ss = 0) =>
    new Date(midnight - daysAgo * DAY + hh * HOUR + mm * MINUTE + ss * SECOND);
  // The scheduler was down; the tick at `resumed` ran the latest due period of each schedule.
  const outage = { from: at(3, 1, 12), resumed: at(3, 3, 41, 2) };
  // The watchdog's first check (every 5 minutes) with the scheduler silent for more than 5 minutes.
  const noticed = at(3, 1, 20);

  const runs: DemoRun[] = [];
  const alerts: DemoAlert[] = [];
  for (const schedule of DEMO_SCHEDULES) {
    const type = schedule.integrationType;
    const periods = schedulePeriods(
      { cronExpression: schedule.cronExpression, timeZone: DEMO_TIME_ZONE },
      activeFrom,
      new Date(now.getTime() + 1),
      Number.MAX_SAFE_INTEGER,
    );
    if (outage.resumed <= now) {
      alerts.push({
        kind: 'scheduler_stalled',
        integrationType: type,
        lastTickAt: outage.from,
        at: noticed,
        acknowledgedAt: new Date(outage.resumed.getTime() + 20 * MINUTE),
      });
    }
    const during = periods.filter((p) => p > outage.from && p <= outage.resumed);
    const resumedPeriod = during.at(-1);
    const special = specialRuns(type, periods, at);
    for (const period of periods) {
      if (during.includes(period) && period !== resumedPeriod) continue; // missed: no run
      const key = periodKey(type, period);
      const hash = hashOf(key);
      const startedAt =
        period === resumedPeriod
          ? new Date(outage.resumed.getTime() + (hash % 3) * SECOND)
          : new Date(period.getTime() + (1 + (hash % 9)) * SECOND);
      const seconds = schedule.seconds.min + ((hash >>> 8) % schedule.seconds.spread);
      const endedAt = new Date(startedAt.getTime() + seconds * SECOND);
      const run: DemoRun = {
        id: randomUUID(),
        integrationType: type,
        triggeredBy: 'scheduler',
        scheduledFor: period,
        idempotencyKey: key,
        status: 'completed',
        startedAt,
        endedAt,
        heartbeatAt: endedAt,
        recordsProcessed: schedule.records.min + ((hash >>> 16) % schedule.records.spread),
        recordsFailed: 0,
        errorMessage: null,
      };
      const { reaped, acknowledgedAfterMinutes, ...changes } = special.get(period.getTime())?.(run) ?? {};
      Object.assign(run, changes);
      if (run.endedAt > now) continue; // not over yet: left to the ticker
      runs.push(run);
      // What the tick recorded when it started the run: drift over 5 minutes, the periods it skipped.
      if (run.startedAt.getTime() - period.getTime() > DRIFT_THRESHOLD_SECONDS * SECOND) {
        alerts.push({ kind: 'schedule_drift', runId: run.id, at: run.startedAt });
      }
      if (period === resumedPeriod && during.length > 1) {
        alerts.push({ kind: 'missed_periods', runId: run.id, missed: during.slice(0, -1), at: run.startedAt });
      }
      // What the executor recorded when the run failed; the reaper's runs have their stuck_run alert instead.
      if (run.status === 'failed' && !reaped) {
        const acknowledgedAt =
          acknowledgedAfterMinutes === undefined
            ? null
            : new Date(run.endedAt.getTime() + acknowledgedAfterMinutes * MINUTE);
        alerts.push({ kind: 'run_failed', runId: run.id, at: run.endedAt, acknowledgedAt });
      }
      if (reaped) {
        alerts.push({
          kind: 'stuck_run',
          runId: run.id,
          integrationType: type,
          details: {
            last_seen_at: run.heartbeatAt.toISOString(),
            timeout_seconds: schedule.runTimeoutSeconds,
            records_processed: run.recordsProcessed,
            records_failed: run.recordsFailed,
            scheduled_for: period.toISOString(),
          },
          at: run.endedAt,
          acknowledgedAt: new Date(run.endedAt.getTime() + 47 * MINUTE),
        });
      }
    }
  }
  runs.push(...manualRuns(at));
  runs.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  return { activeFrom, runs, alerts };
}

/**
 * What differs from a run that simply completed; `reaped`: the reaper failed it (a stuck_run alert); a failed run's
 * run_failed alert was acknowledged this long after (unset: it is open).
 */
type Override = (run: DemoRun) => Partial<DemoRun> & { reaped?: true; acknowledgedAfterMinutes?: number };

/** The periods that did not simply complete, by period (ms), for one integration. */
function specialRuns(
  type: DemoSchedule['integrationType'],
  periods: Date[],
  at: (daysAgo: number, hh: number, mm: number, ss?: number) => Date,
): Map<number, Override> {
  const first = (from: Date) => periods.find((p) => p >= from)?.getTime() ?? Number.NaN;
  const ended = (run: DemoRun, seconds: number) => {
    const endedAt = new Date(run.startedAt.getTime() + seconds * SECOND);
    return { endedAt, heartbeatAt: endedAt };
  };
  const withFailures = (failed: number, first: string) => (run: DemoRun) => ({
    recordsFailed: failed,
    errorMessage: `${failed} of ${run.recordsProcessed + failed} records could not be processed (first: ${first})`,
  });
  const special = new Map<number, Override>();
  if (type === 'xledger') {
    special.set(first(at(12, 16, 40)), withFailures(2, 'page 1 record 7: amount is not a decimal'));
    special.set(first(at(5, 8, 15)), withFailures(1, 'page 1 record 3: currency is not an ISO code'));
    special.set(first(at(9, 14, 25)), (run) => ({
      status: 'failed',
      recordsProcessed: 0,
      errorMessage: 'xledger: POST /graphql was rate limited (HTTP 429, 4 times)',
      ...ended(run, 95),
      acknowledgedAfterMinutes: 12,
    }));
  } else if (type === 'dynamics') {
    special.set(first(at(10, 9, 0)), (run) => {
      // The worker stopped after its first page; the reaper failed the run at the first tick past the timeout.
      const lastSeen = new Date(run.startedAt.getTime() + 38 * SECOND);
      const endedAt = new Date(Math.ceil((lastSeen.getTime() + 1800 * SECOND) / MINUTE) * MINUTE + 1.4 * SECOND);
      return {
        reaped: true,
        status: 'failed',
        recordsProcessed: 200,
        heartbeatAt: lastSeen,
        endedAt,
        errorMessage:
          `stuck run failed by the scheduler: no heartbeat since ${utc(lastSeen)}, longer than the run timeout ` +
          'of 30 minutes (the worker stopped without finishing)',
      };
    });
    special.set(first(at(2, 15, 0)), (run) => ({ status: 'cancelled', recordsProcessed: 400, ...ended(run, 130) }));
  } else {
    special.set(first(at(8, 0, 0)), withFailures(3, 'page 2 record 14: participants is not a count'));
    special.set(first(at(6, 0, 0)), (run) => ({
      status: 'failed',
      recordsProcessed: 0,
      errorMessage: 'bufdir: GET /api/v1/exports/records failed with HTTP 503 (3 attempts)',
      ...ended(run, 44),
    }));
  }
  return special;
}

/** "Sync now" clicks, each between two scheduled runs of its integration. */
function manualRuns(at: (daysAgo: number, hh: number, mm: number, ss?: number) => Date): DemoRun[] {
  const manual = (integrationType: string, startedAt: Date, seconds: number, records: number): DemoRun => {
    const endedAt = new Date(startedAt.getTime() + seconds * SECOND);
    return {
      id: randomUUID(),
      integrationType,
      triggeredBy: 'manual',
      scheduledFor: null,
      idempotencyKey: null,
      status: 'completed',
      startedAt,
      endedAt,
      heartbeatAt: endedAt,
      recordsProcessed: records,
      recordsFailed: 0,
      errorMessage: null,
    };
  };
  return [
    manual('bufdir', at(6, 7, 14, 20), 118, 2480), // the export after the failed one of that night
    manual('dynamics', at(4, 11, 20, 15), 74, 2312),
    manual('xledger', at(1, 10, 32, 40), 50, 2406),
  ];
}

/** `YYYY-MM-DD HH:MM:SS UTC`, as the reaper writes times. */
function utc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** FNV-1a of a string: a stable pseudo-random number per period. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

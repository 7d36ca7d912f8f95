// A schedule's periods, computed with croner in the schedule's time zone exactly as the scheduler's tick computes
// them (scheduler/cron.ts), and what came of each: the period ledger's outcomes.
//
// Outcomes of a period, from its scheduler run (if any) and the clock:
//   running                  its run is pending (queued) or running
//   failed, cancelled        its run ended so
//   completed_with_failures  its run completed with records_failed > 0 (this wins over late: failed records need
//                            someone's attention, lateness is visible in driftSeconds anyway)
//   late                     its run completed without failed records but started more than 5 minutes (300 s)
//                            after its period
//   completed                its run completed on time without failed records
//   upcoming                 no run, and the period is in the future or due less than the grace (300 s) ago: the
//                            scheduler ticks every minute, so it may still start
//   missed                   no run, and the period is due longer than the grace ago
// The ledger's periods are those the schedule had due, by its history (sync_schedule_spans: each stretch in which it
// was enabled, with the expression and zone of that stretch), and every period that has a scheduler run. A period
// without a run while the schedule did not exist or was disabled is left out: nothing was due, nothing was missed.
// A change of expression, zone or state keeps what was missed before it.
import { SyncRunLogError } from './errors.ts';
import type { PeriodRun, PeriodRunColumns, ScheduleSpan } from './integrations.types.ts';
import { epochMicros, toIsoInstant } from './iso-instant.ts';
import type { RunStatus } from './run-log.types.ts';
import { CRON_OPTIONS, parseScheduleCron } from './scheduler/cron.ts';
import { cronPeriodsBetween } from './scheduler/cron-range.ts';
import type { Schedule } from './scheduler/schedule.types.ts';

export const PERIOD_OUTCOMES = [
  'completed',
  'completed_with_failures',
  'failed',
  'cancelled',
  'running',
  'late',
  'missed',
  'upcoming',
] as const;
export type PeriodOutcome = (typeof PERIOD_OUTCOMES)[number];

/** A run that started later than this after its period is late (the scheduler's drift alert threshold too). */
export const LATE_AFTER_SECONDS = 300;
/** A period with no run this long after it is missed. */
export const MISSED_AFTER_SECONDS = 300;
/** At most this many periods in one ledger. */
export const MAX_PERIODS = 1000;
/** How many next periods the overview shows. */
export const NEXT_PERIODS = 3;

export interface OutcomeOptions {
  lateAfterSeconds?: number;
  missedAfterSeconds?: number;
}

export interface PeriodOutcomeEntry extends PeriodRun {
  outcome: PeriodOutcome;
}

type ScheduleTiming = Pick<Schedule, 'cronExpression' | 'timeZone'>;

/** The outcome of one period (see the table at the top of this file). */
export function outcomeOf(period: PeriodRun, now: Date, options: OutcomeOptions = {}): PeriodOutcome {
  const lateAfter = options.lateAfterSeconds ?? LATE_AFTER_SECONDS;
  const missedAfter = options.missedAfterSeconds ?? MISSED_AFTER_SECONDS;
  switch (period.status) {
    case 'pending':
    case 'running':
      return 'running';
    case 'failed':
    case 'cancelled':
      return period.status;
    case 'completed':
      if ((period.recordsFailed ?? 0) > 0) return 'completed_with_failures';
      return (period.driftSeconds ?? 0) > lateAfter ? 'late' : 'completed';
    default: {
      const dueFor = (now.getTime() - Date.parse(period.scheduledFor)) / 1000;
      return dueFor > missedAfter ? 'missed' : 'upcoming';
    }
  }
}

/**
 * The ledger of a schedule: each period it had due (`due`, oldest first, each once: spanPeriods) and each period
 * that has a run in `runs`, oldest first, with its scheduler run's facts and its outcome. A period's run is the run
 * whose idempotency key is the period's key (`<integration>:<period, ISO with milliseconds>`, scheduler/cron.ts
 * periodKey) and whose scheduled_for is the period; a hot run wins over an archived one with the same key.
 */
export function ledgerOf(
  schedule: Pick<Schedule, 'integrationType'>,
  due: readonly Date[],
  runs: PeriodRunColumns,
  now: Date,
  options: OutcomeOptions = {},
): PeriodOutcomeEntry[] {
  // The runs by period (epoch ms): the first of each period, and the others of the same period (rare: a run whose
  // key is not its period's, or the same key in the hot table and the archive), looked at only where needed.
  const firstAt = new Map<number, number>();
  const othersAt = new Map<number, number[]>();
  for (let i = 0; i < runs.key.length; i++) {
    const at = runs.scheduledFor[i] as number;
    if (!firstAt.has(at)) {
      firstAt.set(at, i);
      continue;
    }
    const others = othersAt.get(at);
    if (others) others.push(i);
    else othersAt.set(at, [i]);
  }
  const archived = new Set(runs.archivedIds);
  const isArchived = (i: number) => archived.has(runs.id[i] as string);
  const isRunOf = (i: number, periodIso: string) =>
    isPeriodKey(runs.key[i] as string, schedule.integrationType, periodIso);
  /** The period's run among the runs of its instant: its key, the hot table before the archive. */
  const runOf = (at: number, periodIso: string): number | undefined => {
    const first = firstAt.get(at);
    if (first === undefined) return undefined;
    const others = othersAt.get(at);
    if (!others) return isRunOf(first, periodIso) ? first : undefined;
    const candidates = [first, ...others].filter((j) => isRunOf(j, periodIso));
    return candidates.find((j) => !isArchived(j)) ?? candidates[0];
  };
  // The due periods and the instants of the runs, merged in order: both sorted, each instant once.
  const runInstants = [...firstAt.keys()].sort((a, b) => a - b);
  const instants: Array<{ at: number; due: boolean }> = [];
  let r = 0;
  for (const period of due) {
    const at = period.getTime();
    while (r < runInstants.length && (runInstants[r] as number) < at)
      instants.push({ at: runInstants[r++] as number, due: false });
    if (r < runInstants.length && runInstants[r] === at) r++;
    instants.push({ at, due: true });
  }
  while (r < runInstants.length) instants.push({ at: runInstants[r++] as number, due: false });

  const entries: PeriodOutcomeEntry[] = [];
  for (const { at, due: wasDue } of instants) {
    const scheduledFor = toIsoInstant(new Date(at));
    const i = runOf(at, scheduledFor);
    if (i === undefined && !wasDue) continue; // a run at an instant whose key is another period's
    // Built with one shape whether the period has a run or not (a thousand entries a request); the outcome comes
    // from the entry's own facts, just below.
    const entry: PeriodOutcomeEntry =
      i === undefined
        ? {
            scheduledFor,
            runId: null,
            status: null,
            startedAt: null,
            endedAt: null,
            recordsProcessed: null,
            recordsFailed: null,
            driftSeconds: null,
            archived: false,
            outcome: 'missed',
          }
        : {
            scheduledFor,
            runId: runs.id[i] as string,
            status: runs.status[i] as RunStatus,
            startedAt: runs.startedAt[i] as string,
            endedAt: runs.endedAt[i] ?? null,
            recordsProcessed: runs.recordsProcessed[i] ?? null,
            recordsFailed: runs.recordsFailed[i] ?? null,
            driftSeconds: (epochMicros(runs.startedAt[i] as string) - at * 1000) / 1e6,
            archived: isArchived(i),
            outcome: 'missed',
          };
    entry.outcome = outcomeOf(entry, now, options);
    entries.push(entry);
  }
  return entries;
}

/** `key` is `<integration>:<period ISO>` (scheduler/cron.ts periodKey), compared without building that string. */
function isPeriodKey(key: string, integrationType: string, periodIso: string): boolean {
  return (
    key.length === integrationType.length + 1 + periodIso.length &&
    key.charCodeAt(integrationType.length) === 58 /* : */ &&
    key.endsWith(periodIso) &&
    key.startsWith(integrationType)
  );
}

/** Expressions and zones croner accepted, remembered: checking one again builds a Cron in the named zone (~0.1 ms). */
const accepted = new Map<string, { expression: string; timeZone: string }>();
const MAX_ACCEPTED = 1000;

/** parseScheduleCron's expression and zone (its `invalid_argument` when refused), without its Cron. */
function acceptedCron(cronExpression: string, timeZone: string): { expression: string; timeZone: string } {
  const key = `${timeZone}\n${cronExpression}`;
  let found = accepted.get(key);
  if (!found) {
    const { expression, timeZone: zone } = parseScheduleCron(cronExpression, timeZone);
    found = { expression, timeZone: zone };
    if (accepted.size >= MAX_ACCEPTED) accepted.clear();
    accepted.set(key, found);
  }
  return found;
}

/**
 * The periods the spans had due in [from, to), oldest first, each once: each span's periods within its own
 * [activeFrom, activeUntil). Spans do not overlap and come oldest first. `invalid_argument` beyond `max` periods.
 */
export function spanPeriods(spans: readonly ScheduleSpan[], from: Date, to: Date, max = MAX_PERIODS): Date[] {
  if (!(from.getTime() < to.getTime())) {
    throw new SyncRunLogError('invalid_argument', 'the period range is empty: from must be before to');
  }
  const periods: Date[] = [];
  for (const span of spans) {
    const start = Math.max(from.getTime(), Date.parse(span.activeFrom));
    const end = Math.min(
      to.getTime(),
      span.activeUntil === null ? Number.POSITIVE_INFINITY : Date.parse(span.activeUntil),
    );
    if (!(start < end)) continue;
    for (const period of schedulePeriods(span, new Date(start), new Date(end), max)) {
      if (periods.length > 0 && (periods.at(-1) as Date).getTime() >= period.getTime()) continue;
      periods.push(period);
    }
    if (periods.length > max) break;
  }
  if (periods.length > max) {
    throw new SyncRunLogError(
      'invalid_argument',
      `the range holds more than ${max} periods of this schedule: narrow from and to`,
    );
  }
  return periods;
}

/**
 * The periods of a schedule in [from, to), oldest first. `invalid_argument` when `from` is not before `to`, or when
 * the range holds more than `max` periods (the message says so, so the caller can narrow it).
 */
export function schedulePeriods(schedule: ScheduleTiming, from: Date, to: Date, max = MAX_PERIODS): Date[] {
  if (!(from.getTime() < to.getTime())) {
    throw new SyncRunLogError('invalid_argument', 'the period range is empty: from must be before to');
  }
  const { expression, timeZone } = acceptedCron(schedule.cronExpression, schedule.timeZone);
  const periods = cronPeriodsBetween(expression, timeZone, from, to, { cronOptions: CRON_OPTIONS, max });
  if (periods.length > max) {
    throw new SyncRunLogError(
      'invalid_argument',
      `the range holds more than ${max} periods of this schedule: narrow from and to`,
    );
  }
  return periods;
}

/** nextPeriods looks this far ahead with the fast expansion first (a daily schedule's three fit), then asks croner. */
const NEXT_WINDOW_MS = 8 * 24 * 3_600_000;

/**
 * The next `count` periods the scheduler will run, as ISO instants: after now, after the newest period it started,
 * and not before activeFrom. Empty for a disabled schedule (and for an expression croner refuses). The same
 * instants as croner's nextRuns in the schedule's zone (cron-range.ts), without its per-candidate search where the
 * next eight days hold them.
 */
export function nextPeriods(
  schedule: ScheduleTiming & Pick<Schedule, 'enabled' | 'activeFrom' | 'lastScheduledFor'>,
  now: Date,
  count = NEXT_PERIODS,
): string[] {
  if (!schedule.enabled) return [];
  let cron: { expression: string; timeZone: string };
  try {
    cron = acceptedCron(schedule.cronExpression, schedule.timeZone);
  } catch {
    return [];
  }
  const after = Math.max(
    now.getTime(),
    new Date(schedule.activeFrom).getTime() - 1,
    schedule.lastScheduledFor ? new Date(schedule.lastScheduledFor).getTime() : Number.NEGATIVE_INFINITY,
  );
  // Periods are whole minutes, so "strictly after `after`" (croner's nextRuns) is "at or after after + 1 ms".
  const soon = cronPeriodsBetween(
    cron.expression,
    cron.timeZone,
    new Date(after + 1),
    new Date(after + 1 + NEXT_WINDOW_MS),
    {
      cronOptions: CRON_OPTIONS,
      max: count,
    },
  );
  if (soon.length >= count) return soon.slice(0, count).map((period) => period.toISOString());
  return parseScheduleCron(cron.expression, cron.timeZone)
    .cron.nextRuns(count, new Date(after))
    .map((period) => period.toISOString());
}

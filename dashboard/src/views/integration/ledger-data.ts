// The period ledger's arithmetic, without the DOM: the last 30 calendar days in the schedule's time zone, the
// requests that cover them (the API answers at most 1,000 periods per call, so an every-5-minutes schedule takes
// several), the periods of each day, and each day's figures for the charts.
import { Cron } from 'croner';
import type { Period, PeriodOutcome } from '../../api.ts';
import { addDays, dayKeyOf, startOfDay } from '../../format.ts';

export const LEDGER_DAYS = 30;
/** Periods per request: under the API's 1,000, so a croner/server difference of a period cannot overflow it. */
export const PERIODS_PER_REQUEST = 900;
/** A run that starts later than this after its period is late (the scheduler's drift alert threshold). */
export const LATE_AFTER_SECONDS = 300;

export interface LedgerRange {
  /** Day keys (YYYY-MM-DD in the time zone), oldest first; the last is today. */
  days: string[];
  from: Date;
  to: Date;
}

/** The last `count` calendar days in the time zone, today included: [midnight of the first, midnight after today). */
export function ledgerRange(now: Date, timeZone: string, count = LEDGER_DAYS): LedgerRange {
  const today = dayKeyOf(now, timeZone);
  const days = Array.from({ length: count }, (_, i) => addDays(today, i - count + 1));
  return {
    days,
    from: startOfDay(days[0] as string, timeZone),
    to: startOfDay(addDays(today, 1), timeZone),
  };
}

/** How long a stretch of the schedule is sampled to estimate its periods per hour. */
const SAMPLE_MS = 24 * 3_600_000;

/**
 * [from, to) cut into ranges that should each hold at most `perRequest` periods, oldest first: the schedule's rate is
 * sampled with croner (the scheduler's options) over its first day, with a margin for the 25-hour autumn day. An
 * estimate only, and cheap (enumerating 30 days of an every-5-minutes schedule in a time zone takes the browser
 * about half a second): a range the server still finds too full is halved (fetchPeriods). One range when the
 * schedule cannot be read here or has no period in the sample.
 */
export function requestRanges(
  cronExpression: string,
  timeZone: string,
  from: Date,
  to: Date,
  perRequest = PERIODS_PER_REQUEST,
): Array<{ from: Date; to: Date }> {
  let cron: Cron;
  try {
    cron = new Cron(cronExpression, { timezone: timeZone, paused: true, mode: '5-part', fixedTimeRule: 'no-wildcard' });
  } catch {
    return [{ from, to }];
  }
  const sampleEnd = Math.min(to.getTime(), from.getTime() + SAMPLE_MS);
  let count = 0;
  let next = cron.nextRun(new Date(from.getTime() - 1));
  while (next && next.getTime() < sampleEnd) {
    count++;
    next = cron.nextRun(next);
  }
  if (count === 0) return [{ from, to }];
  const perMs = (count * 1.1) / (sampleEnd - from.getTime());
  const width = Math.max(60_000, Math.floor(perRequest / perMs / 60_000) * 60_000);
  const ranges: Array<{ from: Date; to: Date }> = [];
  for (let start = from.getTime(); start < to.getTime(); start += width) {
    ranges.push({ from: new Date(start), to: new Date(Math.min(start + width, to.getTime())) });
  }
  return ranges;
}

/** True for the server's refusal of a range with too many periods (schedule-periods.ts), which halving cures. */
export function isTooManyPeriods(error: { code?: string; message?: string }): boolean {
  return error.code === 'invalid_argument' && /more than \d+ periods/.test(error.message ?? '');
}

/**
 * The periods of [from, to), asking `load` for the whole range and halving a range the server finds too full
 * (down to whole minutes), the halves fetched together.
 */
export async function fetchPeriods<T>(
  load: (from: Date, to: Date) => Promise<T[]>,
  from: Date,
  to: Date,
  isTooMany: (error: unknown) => boolean,
): Promise<T[]> {
  try {
    return await load(from, to);
  } catch (error) {
    const span = to.getTime() - from.getTime();
    if (!isTooMany(error) || span <= 60_000) throw error;
    const middle = new Date(from.getTime() + Math.floor(span / 120_000) * 60_000);
    const halves = await Promise.all([
      fetchPeriods(load, from, middle, isTooMany),
      fetchPeriods(load, middle, to, isTooMany),
    ]);
    return halves.flat();
  }
}

/** The periods of each day (in the time zone), in time order. */
export function periodsByDay(periods: Period[], timeZone: string): Map<string, Period[]> {
  const byDay = new Map<string, Period[]>();
  const sorted = [...periods].sort((a, b) => Date.parse(a.scheduledFor) - Date.parse(b.scheduledFor));
  for (const period of sorted) {
    const day = dayKeyOf(period.scheduledFor, timeZone);
    const list = byDay.get(day);
    if (list) list.push(period);
    else byDay.set(day, [period]);
  }
  return byDay;
}

/** Worst first: the outcome a day's mark shows when its periods differ. */
export const OUTCOME_ORDER: PeriodOutcome[] = [
  'missed',
  'failed',
  'completed_with_failures',
  'late',
  'cancelled',
  'running',
  'completed',
  'upcoming',
];

export function countOutcomes(periods: Period[]): Array<{ outcome: PeriodOutcome; count: number }> {
  return OUTCOME_ORDER.map((outcome) => ({
    outcome,
    count: periods.filter((period) => period.outcome === outcome).length,
  })).filter((entry) => entry.count > 0);
}

export interface DayFigures {
  day: string;
  /** Unix seconds of the day's start (uPlot's x). */
  x: number;
  runs: number;
  /** Seconds each of the day's runs took (those that ended). */
  durations: number[];
  medianDuration: number | null;
  longestDuration: number | null;
  processed: number;
  failed: number;
  largestDrift: number | null;
}

/** The median duration of every run of the days: not the median of the days' medians, which weighs a quiet day as
 *  much as a busy one. */
export function medianDuration(figures: DayFigures[]): number | null {
  return median(figures.flatMap((day) => day.durations));
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Each day's figures from its periods' runs: durations (of ended runs), records, and the largest drift. */
export function dayFigures(days: string[], byDay: Map<string, Period[]>, timeZone: string): DayFigures[] {
  return days.map((day) => {
    const withRuns = (byDay.get(day) ?? []).filter((period) => period.runId !== null);
    const durations = withRuns
      .filter((period) => period.startedAt && period.endedAt)
      .map((period) => (Date.parse(period.endedAt as string) - Date.parse(period.startedAt as string)) / 1000);
    const drifts = withRuns.map((period) => period.driftSeconds).filter((drift): drift is number => drift !== null);
    return {
      day,
      x: Math.floor(startOfDay(day, timeZone).getTime() / 1000),
      runs: withRuns.length,
      durations,
      medianDuration: median(durations),
      longestDuration: durations.length > 0 ? Math.max(...durations) : null,
      processed: withRuns.reduce((sum, period) => sum + (period.recordsProcessed ?? 0), 0),
      failed: withRuns.reduce((sum, period) => sum + (period.recordsFailed ?? 0), 0),
      largestDrift: drifts.length > 0 ? Math.max(...drifts) : null,
    };
  });
}

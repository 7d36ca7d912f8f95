// Cron arithmetic for schedules, with croner (not by hand): which periods of a schedule are due at a given time,
// read in the schedule's IANA time zone, and whether an expression and a time zone are acceptable at all.
//
// DST (Europe/Oslo and every zone croner knows), as Vixie cron does it, with croner's "no-wildcard" rule:
//   - a job at fixed times (no * or step in minute and hour, e.g. `30 2 * * *`, `0 6,18 * * *`) runs once on the
//     day the clocks go back (at the first 02:30) and, on the day they go forward, at the first valid time after
//     the gap (03:00 instead of the missing 02:30): a daily period is never skipped and never doubled;
//   - an interval job (`*/15 * * * *`, `0 * * * *`) follows real time: the local times that do not exist in spring
//     are skipped, the repeated hour in autumn runs both times (they are different instants, so different periods).
import { Cron } from 'croner';
import { SyncRunLogError } from '../errors.ts';

export const DEFAULT_TIME_ZONE = 'Europe/Oslo';
/** At most this many missed periods are listed one by one; they are counted up to MAX_COUNTED_PERIODS (about 2.5 s of croner steps in a time zone). */
export const MAX_LISTED_PERIODS = 1000;
const MAX_COUNTED_PERIODS = 10_000;

/** How croner reads a schedule's expression (besides its time zone): 5 fields, DST as described above. */
export const CRON_OPTIONS = { mode: '5-part', fixedTimeRule: 'no-wildcard' } as const;

export interface ScheduleCron {
  expression: string;
  timeZone: string;
  cron: Cron;
}

/** A schedule's cron: throws `invalid_argument` with a message that says what is wrong. */
export function parseScheduleCron(expression: string, timeZone: string = DEFAULT_TIME_ZONE): ScheduleCron {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new SyncRunLogError('invalid_argument', 'cron expression is required');
  }
  if (typeof timeZone !== 'string' || !isTimeZone(timeZone)) {
    throw new SyncRunLogError(
      'invalid_argument',
      `unknown time zone ${quoted(String(timeZone).slice(0, 64))}: use an IANA name such as Europe/Oslo`,
    );
  }
  const text = expression.trim();
  // Said as the database says it (sync_private.cron_expression_error), not as croner, which also takes 6 and 7.
  const fields = text.split(/\s+/).length;
  if (!text.startsWith('@') && fields !== 5) {
    throw new SyncRunLogError(
      'invalid_argument',
      `cron expression ${quoted(text.slice(0, 200))} has ${fields} fields; it needs 5: minute hour day-of-month month ` +
        'day-of-week (or @hourly, @daily, ...)',
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(text, { ...CRON_OPTIONS, timezone: timeZone, paused: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : 'not a cron expression';
    throw new SyncRunLogError(
      'invalid_argument',
      `invalid cron expression ${quoted(text.slice(0, 200))}: ${reason} ` +
        '(use 5 fields: minute hour day-of-month month day-of-week, or @hourly, @daily, ...)',
    );
  }
  if (cron.nextRun(new Date()) === null) {
    throw new SyncRunLogError('invalid_argument', `cron expression ${quoted(text.slice(0, 200))} never fires`);
  }
  return { expression: text, timeZone, cron };
}

/** A value in single quotes, as PostgreSQL's quote_literal writes it (the database's messages use it). */
function quoted(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** True when the runtime's time zone database knows the IANA name (PostgreSQL checks it again on write). */
export function isTimeZone(name: string): boolean {
  if (name.trim() === '' || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The period key of a scheduled run: `<integration>:<period, ISO 8601 UTC>`. Unique per org in the database. */
export function periodKey(integrationType: string, period: Date): string {
  return `${integrationType}:${period.toISOString()}`;
}

/** The first period strictly after `after`, or null when the expression never fires again. */
export function nextPeriod(schedule: ScheduleCron, after: Date): Date | null {
  return schedule.cron.nextRun(after);
}

/** The newest period at or before `at`, or null. */
export function latestPeriod(schedule: ScheduleCron, at: Date): Date | null {
  return schedule.cron.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

export interface DuePeriods {
  /** The newest due period: the one to run. */
  latest: Date;
  /** Earlier due periods (oldest first, at most MAX_LISTED_PERIODS): skipped, to be recorded as missed. */
  missed: Date[];
  /** How many periods were skipped in all (missed.length, or more when the list was cut). */
  missedCount: number;
}

/**
 * The periods due at `now`: every period p with after < p <= now. Null when none is due.
 * Only the latest runs; the rest are missed: a scheduler that was down for a day runs once, never a storm.
 */
export function duePeriods(schedule: ScheduleCron, after: Date, now: Date): DuePeriods | null {
  const latest = latestPeriod(schedule, now);
  if (!latest || latest.getTime() <= after.getTime()) return null;
  const missed: Date[] = [];
  let missedCount = 0;
  let cursor = after;
  while (missedCount < MAX_COUNTED_PERIODS) {
    const next = schedule.cron.nextRun(cursor);
    if (!next || next.getTime() >= latest.getTime()) break;
    missedCount += 1;
    if (missed.length < MAX_LISTED_PERIODS) missed.push(next);
    cursor = next;
  }
  return { latest, missed, missedCount };
}

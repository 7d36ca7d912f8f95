// Every period of a cron expression in a time range, as croner computes it in the schedule's IANA time zone, about
// ten times faster. croner converts each candidate through Intl in a named zone (0.1 ms a period in Europe/Oslo:
// 100 ms for the ledger's 1,000); at a fixed UTC offset it needs no Intl at all. Away from a change of the zone's
// offset, the zone *is* a fixed offset, so those stretches are stepped at their offset; a day on each side of every
// change (DST, or a zone changing its rules) is stepped in the named zone, where croner's DST rules apply
// (scheduler/cron.ts). test/scheduler/cron-range.test.ts holds the result to croner's own, period for period.
import { Cron } from 'croner';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Offsets are sampled this far apart; zones change their offset months apart, never twice within it. */
const SAMPLE = 6 * HOUR;

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at `at`, in minutes (Oslo in summer: 120). */
export function utcOffsetMinutes(timeZone: string, at: number): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormats.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(at))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day as number,
    parts.hour as number,
    parts.minute as number,
    parts.second as number,
  );
  return Math.round((wall - Math.floor(at / 1000) * 1000) / 60_000);
}

/** The instants in [from, to) where the zone's offset changes (each the first instant of the new offset). */
export function offsetChanges(timeZone: string, from: number, to: number): number[] {
  const changes: number[] = [];
  let at = from;
  let offset = utcOffsetMinutes(timeZone, at);
  while (at < to) {
    const next = Math.min(at + SAMPLE, to);
    const nextOffset = utcOffsetMinutes(timeZone, next);
    if (nextOffset !== offset) {
      let low = at; // offset at low is `offset`, at high `nextOffset`
      let high = next;
      while (high - low > 1) {
        const mid = low + Math.floor((high - low) / 2);
        if (utcOffsetMinutes(timeZone, mid) === offset) low = mid;
        else high = mid;
      }
      changes.push(high);
      offset = nextOffset;
    }
    at = next;
  }
  return changes;
}

interface Stretch {
  from: number;
  to: number;
  /** Fixed offset in minutes, or null: step in the named zone. */
  offset: number | null;
}

/** [from, to) cut into stretches: a day around each offset change in the named zone, the rest at fixed offsets. */
function stretches(timeZone: string, from: number, to: number): Stretch[] {
  const zoned = offsetChanges(timeZone, from - DAY, to + DAY).map((change) => ({
    from: change - DAY,
    to: change + DAY,
  }));
  const result: Stretch[] = [];
  let at = from;
  for (const window of zoned) {
    if (window.to <= at) continue;
    if (window.from >= to) break;
    if (window.from > at) result.push({ from: at, to: window.from, offset: utcOffsetMinutes(timeZone, at) });
    const end = Math.min(window.to, to);
    if (result.at(-1)?.offset === null) (result.at(-1) as Stretch).to = end;
    else result.push({ from: Math.max(window.from, at), to: end, offset: null });
    at = end;
  }
  if (at < to) result.push({ from: at, to, offset: utcOffsetMinutes(timeZone, at) });
  return result;
}

export interface CronRangeOptions {
  /** croner's options for the named zone (mode, fixedTimeRule...), as the scheduler parses the schedule. */
  cronOptions: Record<string, unknown>;
  /** Stop after this many periods: the result then holds `max + 1`, so the caller can tell that there were more. */
  max: number;
}

/** The periods of `expression` in [from, to), oldest first: the same instants as croner in `timeZone`. */
export function cronPeriodsBetween(
  expression: string,
  timeZone: string,
  from: Date,
  to: Date,
  { cronOptions, max }: CronRangeOptions,
): Date[] {
  const periods: Date[] = [];
  const crons = new Map<number | null, Cron>();
  const cronAt = (offset: number | null): Cron => {
    let cron = crons.get(offset);
    if (!cron) {
      const zone = offset === null ? { timezone: timeZone } : { utcOffset: offset };
      cron = new Cron(expression, { ...cronOptions, ...zone, paused: true });
      crons.set(offset, cron);
    }
    return cron;
  };
  for (const stretch of stretches(timeZone, from.getTime(), to.getTime())) {
    const cron = cronAt(stretch.offset);
    let next = cron.nextRun(new Date(stretch.from - 1));
    while (next && next.getTime() < stretch.to) {
      periods.push(next);
      if (periods.length > max) return periods;
      next = cron.nextRun(next);
    }
  }
  return periods;
}

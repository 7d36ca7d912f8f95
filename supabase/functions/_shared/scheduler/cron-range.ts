// Every period of a cron expression in a time range, as croner computes it in the schedule's IANA time zone, about
// much faster. croner converts each candidate through Intl in a named zone (0.1 ms a period in Europe/Oslo:
// 100 ms for the ledger's 1,000). Away from a change of the zone's offset, the zone *is* a fixed offset, so those
// stretches are stepped at their offset: the expression's fields as sets (cron-fields.ts), each matching local day,
// each hour x minute, the instant = local wall time - offset, with no candidate search at all (croner at the fixed
// offset where the fields are not read there: L, W, #, ?). A day on each side of every change (DST, or a zone
// changing its rules) is stepped by croner in the named zone, where its DST rules apply (scheduler/cron.ts).
// test/scheduler/cron-range.test.ts holds the result to croner's own, period for period.
import { Cron } from 'croner';
import { type CronFields, matchesDay, parseCronFields } from './cron-fields.ts';

const MINUTE = 60_000;
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

/** Offsets at the sample points (multiples of SAMPLE since the epoch), per zone: a zone's past does not change. */
const sampledOffsets = new Map<string, Map<number, number>>();
const MAX_SAMPLED = 100_000;

/** The zone's offset at the sample point `index` * SAMPLE, remembered. */
function sampledOffset(timeZone: string, index: number): number {
  let offsets = sampledOffsets.get(timeZone);
  if (!offsets) {
    offsets = new Map();
    sampledOffsets.set(timeZone, offsets);
  }
  let offset = offsets.get(index);
  if (offset === undefined) {
    if (offsets.size >= MAX_SAMPLED) offsets.clear();
    offset = utcOffsetMinutes(timeZone, index * SAMPLE);
    offsets.set(index, offset);
  }
  return offset;
}

/**
 * The instants in [from, to) where the zone's offset changes (each the first instant of the new offset). The zone
 * is sampled at fixed points SAMPLE apart (remembered, so a request costs no Intl call once its days were seen),
 * and a change between two of them is searched to the millisecond.
 */
export function offsetChanges(timeZone: string, from: number, to: number): number[] {
  const changes: number[] = [];
  const last = Math.ceil(to / SAMPLE);
  let index = Math.floor(from / SAMPLE);
  let offset = sampledOffset(timeZone, index);
  for (index += 1; index <= last; index++) {
    const nextOffset = sampledOffset(timeZone, index);
    if (nextOffset !== offset) {
      let low = (index - 1) * SAMPLE; // offset at low is `offset`, at high `nextOffset`
      let high = index * SAMPLE;
      while (high - low > 1) {
        const mid = low + Math.floor((high - low) / 2);
        if (utcOffsetMinutes(timeZone, mid) === offset) low = mid;
        else high = mid;
      }
      if (high >= from && high < to) changes.push(high);
      offset = nextOffset;
    }
  }
  return changes;
}

/** The offset at `at`, where no change lies within SAMPLE before it (true a day away from every change). */
function steadyOffset(timeZone: string, at: number): number {
  return sampledOffset(timeZone, Math.floor(at / SAMPLE));
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
    if (window.from > at) result.push({ from: at, to: window.from, offset: steadyOffset(timeZone, at) });
    const end = Math.min(window.to, to);
    if (result.at(-1)?.offset === null) (result.at(-1) as Stretch).to = end;
    else result.push({ from: Math.max(window.from, at), to: end, offset: null });
    at = end;
  }
  if (at < to) result.push({ from: at, to, offset: steadyOffset(timeZone, at) });
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
  const fields = parseCronFields(expression);
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
    if (fields && stretch.offset !== null) {
      if (stepFixedOffset(fields, stretch.from, stretch.to, stretch.offset, periods, max)) return periods;
      continue;
    }
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

/**
 * The periods in [from, to) at a fixed offset (minutes), appended to `periods` oldest first: each local day whose
 * date matches, each hour and minute of it. True when `periods` went past `max` (stop).
 */
function stepFixedOffset(
  fields: CronFields,
  from: number,
  to: number,
  offset: number,
  periods: Date[],
  max: number,
): boolean {
  const shift = offset * MINUTE;
  const lastDay = Math.floor((to - 1 + shift) / DAY) * DAY;
  for (let day = Math.floor((from + shift) / DAY) * DAY; day <= lastDay; day += DAY) {
    const date = new Date(day);
    if (!matchesDay(fields, date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay())) continue;
    for (const hour of fields.hours) {
      for (const minute of fields.minutes) {
        const at = day + hour * HOUR + minute * MINUTE - shift;
        if (at < from) continue;
        if (at >= to) return false;
        periods.push(new Date(at));
        if (periods.length > max) return true;
      }
    }
  }
  return false;
}

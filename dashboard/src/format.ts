// Dates, durations and numbers, with Intl only. Times are shown in the schedule's time zone (with its abbreviation,
// so the two 02:30 of the autumn daylight-saving night differ: CEST, then CET); the viewer's local time and UTC are
// given on hover (the `title` of the <time> element, see components/time.tsx).

export interface Formats {
  locale: string;
  /** e.g. "25 Oct 2026, 02:30 CEST", in the given time zone. */
  dateTime(iso: string, timeZone: string): string;
  /** e.g. "02:30 CEST". */
  time(iso: string, timeZone: string): string;
  /** e.g. "Sun 25 Oct", from a day key (YYYY-MM-DD, a calendar day in some zone). */
  day(dayKey: string): string;
  /** e.g. "Sunday 25 October 2026". */
  longDay(dayKey: string): string;
  /** The viewer's local time and UTC, for hovering. */
  localAndUtc(iso: string, labels: { local: string; utc: string }): string;
  /** e.g. "3 minutes ago", "in 2 hours". */
  relative(iso: string, now: Date): string;
  /** e.g. "1 min 30 s". */
  duration(seconds: number): string;
  number(value: number): string;
}

export function createFormats(locale: string): Formats {
  const cache = new Map<string, Intl.DateTimeFormat>();
  const dtf = (key: string, options: Intl.DateTimeFormatOptions) => {
    let format = cache.get(key);
    if (!format) {
      format = new Intl.DateTimeFormat(locale, options);
      cache.set(key, format);
    }
    return format;
  };
  const numbers = new Intl.NumberFormat(locale);
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const unit = (name: 'hour' | 'minute' | 'second') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'narrow' });
  const units = { hour: unit('hour'), minute: unit('minute'), second: unit('second') };

  return {
    locale,
    dateTime(iso, timeZone) {
      return dtf(`dt:${timeZone}`, {
        timeZone,
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        timeZoneName: 'short',
      }).format(new Date(iso));
    },
    time(iso, timeZone) {
      return dtf(`t:${timeZone}`, { timeZone, hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(
        new Date(iso),
      );
    },
    day(dayKey) {
      return dtf('day', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(
        new Date(`${dayKey}T12:00:00Z`),
      );
    },
    longDay(dayKey) {
      return dtf('longday', {
        timeZone: 'UTC',
        weekday: 'long',
        day: 'numeric',
        month: 'long',
        year: 'numeric',
      }).format(new Date(`${dayKey}T12:00:00Z`));
    },
    localAndUtc(iso, labels) {
      const date = new Date(iso);
      const local = dtf('local', { dateStyle: 'medium', timeStyle: 'long' }).format(date);
      const utc = dtf('utc', { dateStyle: 'medium', timeStyle: 'long', timeZone: 'UTC' }).format(date);
      return `${labels.local}: ${local}\n${labels.utc}: ${utc}`;
    },
    relative(iso, now) {
      const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
      const abs = Math.abs(seconds);
      if (abs < 60) return relative.format(seconds, 'second');
      if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
      if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
      return relative.format(Math.round(seconds / 86_400), 'day');
    },
    duration(seconds) {
      const total = Math.max(0, Math.round(seconds));
      const h = Math.floor(total / 3600);
      const m = Math.floor((total % 3600) / 60);
      const s = total % 60;
      const parts: string[] = [];
      if (h > 0) parts.push(units.hour.format(h));
      if (m > 0) parts.push(units.minute.format(m));
      if (s > 0 || parts.length === 0) parts.push(units.second.format(s));
      return parts.join(' ');
    },
    number(value) {
      return numbers.format(value);
    },
  };
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
const partFormats = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: making an Intl.DateTimeFormat costs far more than using one (a ledger has thousands). */
function cached(map: Map<string, Intl.DateTimeFormat>, timeZone: string, options: Intl.DateTimeFormatOptions) {
  let format = map.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, ...options });
    map.set(timeZone, format);
  }
  return format;
}

/** The calendar day (YYYY-MM-DD) an instant falls on in a time zone. */
export function dayKeyOf(instant: Date | string, timeZone: string): string {
  const parts = cached(dayFormats, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(
    new Date(instant),
  );
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The offset of a time zone from UTC at an instant, in minutes (Europe/Oslo: 60 in winter, 120 in summer). */
export function offsetMinutes(instant: Date, timeZone: string): number {
  const parts = cached(partFormats, timeZone, {
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/**
 * The instant a calendar day starts in a time zone: its local midnight, or where the clocks skip midnight (America/
 * Santiago, Asia/Beirut on their spring days) the first instant of the day, the change itself.
 */
export function startOfDay(dayKey: string, timeZone: string): Date {
  const utcMidnight = Date.parse(`${dayKey}T00:00:00Z`);
  const first = utcMidnight - offsetMinutes(new Date(utcMidnight), timeZone) * 60_000;
  // The offset at that guess may differ (a change that day): midnight under the offset in force at the guess.
  const second = utcMidnight - offsetMinutes(new Date(first), timeZone) * 60_000;
  // The earlier candidate that falls on the day; a skipped midnight puts the second on the day before.
  const onTheDay = [first, second].filter((instant) => dayKeyOf(new Date(instant), timeZone) === dayKey);
  return new Date(Math.min(...(onTheDay.length > 0 ? onTheDay : [second])));
}

/** The day key `days` calendar days after (negative: before) the given one. */
export function addDays(dayKey: string, days: number): string {
  const date = new Date(`${dayKey}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

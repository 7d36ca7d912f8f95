// Instants as ISO 8601 text, fast where the ledger needs it: a thousand periods a request.

const DAY = 86_400_000;
const MINUTE = 60_000;
/** 10000-01-01T00:00:00Z: from here on toISOString writes a six-digit year. */
const YEAR_10000 = 253_402_300_800_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

let cachedDay = Number.NaN;
let cachedDayPrefix = '';

/**
 * date.toISOString(), about ten times faster for whole minutes, which every cron period is (960 periods: 0.06 ms
 * against 0.58 ms on the bench machine): the day's `YYYY-MM-DDT` is kept from the previous call, and hours and
 * minutes come from a table. Other instants go to toISOString.
 */
export function toIsoInstant(date: Date): string {
  const ms = date.getTime();
  const inDay = ms - Math.floor(ms / DAY) * DAY;
  if (inDay % MINUTE !== 0 || ms < 0 || ms >= YEAR_10000) return date.toISOString();
  const day = ms - inDay;
  if (day !== cachedDay) {
    cachedDayPrefix = new Date(day).toISOString().slice(0, 11);
    cachedDay = day;
  }
  const minutes = inDay / MINUTE;
  return `${cachedDayPrefix}${TWO_DIGITS[Math.floor(minutes / 60)]}:${TWO_DIGITS[minutes % 60]}:00.000Z`;
}

/**
 * An ISO 8601 instant with up to six fractional digits (as PostgreSQL renders timestamptz in JSON:
 * `2026-11-21T01:45:12.345678+00:00`) in microseconds since the epoch, exactly: Date.parse keeps milliseconds, so
 * the fraction is read from the text. NaN when Date.parse cannot read it.
 */
export function epochMicros(iso: string): number {
  let fraction = 0;
  let digits = 0;
  if (iso.charCodeAt(19) === 46 /* . */) {
    for (let i = 20; i < 26; i++) {
      const digit = iso.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      fraction = fraction * 10 + digit;
      digits++;
    }
  }
  for (; digits < 6; digits++) fraction *= 10;
  return Math.floor(Date.parse(iso) / 1000) * 1_000_000 + fraction;
}

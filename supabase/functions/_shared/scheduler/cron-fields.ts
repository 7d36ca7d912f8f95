// The five fields of a cron expression as sets, read exactly as croner reads them in its 5-part mode (croner 11,
// CronPattern.parse): numbers, `*`, ranges, `*/step` and `a-b/step`, lists, month and day names (`jan`, `mon`,
// `mon-sun` where the last sun is 7), the @ aliases, day of week 7 as Sunday, and day of month and day of week
// combined with OR where neither is `*` (croner's legacy rule) and with AND otherwise. Anything else (L, W, #, ?,
// a leading +) is not read: parseCronFields returns null and the caller asks croner itself. Only expressions croner
// accepted reach this (scheduler/cron.ts checks them first), so no error is reported here.
// cron-range.ts steps local days with these sets at a fixed UTC offset: no candidate search, no Intl.

export interface CronFields {
  minutes: number[];
  hours: number[];
  /** Index 1..31: the day of month matches. */
  daysOfMonth: boolean[];
  /** Index 1..12. */
  months: boolean[];
  /** Index 0..6 (Sunday 0). */
  daysOfWeek: boolean[];
  /** Day of month field is `*` (then only the day of week restricts days). */
  anyDayOfMonth: boolean;
  /** Day of week field is `*` (then only the day of month restricts days). */
  anyDayOfWeek: boolean;
}

const ALIASES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * SUN',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const PLAIN = /^[0-9*,/-]+$/;

/** The fields of a 5-field expression, or null where croner's reading is not reproduced here. */
export function parseCronFields(expression: string): CronFields | null {
  const text = expression.trim();
  const parts = (ALIASES[text.toLowerCase()] ?? text).split(/\s+/);
  if (parts.length !== 5) return null;
  const [minute, hour, dom, month, dow] = parts as [string, string, string, string, string];
  const monthText = month.length >= 3 ? names(month, MONTHS, 1) : month;
  const dowText = dow.length >= 3 ? names(dow, DAYS, 0) : dow;
  if (monthText === null || dowText === null) return null;
  const minutes = field(minute, 0, 59);
  const hours = field(hour, 0, 23);
  const daysOfMonth = field(dom, 1, 31);
  const months = field(monthText, 1, 12);
  const weekDays = field(dowText, 0, 7);
  if (!minutes || !hours || !daysOfMonth || !months || !weekDays) return null;
  const daysOfWeek = weekDays.slice(0, 7);
  if (weekDays[7]) daysOfWeek[0] = true;
  return {
    minutes: indexes(minutes),
    hours: indexes(hours),
    daysOfMonth,
    months,
    daysOfWeek,
    anyDayOfMonth: dom === '*',
    anyDayOfWeek: dowText === '*',
  };
}

/** Does the local date (UTC fields of `day`, a local midnight) match the day fields? */
export function matchesDay(fields: CronFields, month: number, dayOfMonth: number, dayOfWeek: number): boolean {
  if (!fields.months[month]) return false;
  const byMonthDay = fields.daysOfMonth[dayOfMonth] === true;
  if (fields.anyDayOfWeek) return byMonthDay;
  const byWeekDay = fields.daysOfWeek[dayOfWeek] === true;
  return fields.anyDayOfMonth ? byMonthDay && byWeekDay : byMonthDay || byWeekDay;
}

/**
 * Month or day names as numbers, as croner's replaceAlpha does: case-insensitive, `-sun` is `-7`. Null for any
 * other letters (L, W, a longer word): not read here.
 */
function names(text: string, list: string[], first: number): string | null {
  let unknown = false;
  const replaced = text.replace(/(-?)([a-z]+)/gi, (_, dash: string, word: string) => {
    const index = list.indexOf(word.toLowerCase());
    if (index < 0 || word.length !== 3) unknown = true;
    const value = first === 0 && dash === '-' && index === 0 ? 7 : index + first;
    return `${dash}${value}`;
  });
  return unknown ? null : replaced;
}

/** A field as a set over min..max (index = value), or null when it is not plain numbers, ranges, steps, lists. */
function field(text: string, min: number, max: number): boolean[] | null {
  if (!PLAIN.test(text)) return null;
  const set: boolean[] = new Array(max + 1).fill(false);
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === undefined) return null;
    const step = stepText === undefined ? 1 : whole(stepText);
    let low: number | null;
    let high: number | null;
    if (range === '*') {
      low = min;
      high = max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined || a === undefined || b === undefined) return null;
      low = whole(a);
      high = whole(b);
    } else {
      // croner refuses a number before a step (`5/15`); a plain number is the value alone.
      if (stepText !== undefined) return null;
      low = whole(range);
      high = low;
    }
    if (step === null || step < 1 || low === null || high === null || low < min || high > max || low > high) {
      return null;
    }
    for (let value = low; value <= high; value += step) set[value] = true;
  }
  return set;
}

function whole(text: string): number | null {
  return /^\d+$/.test(text) ? Number.parseInt(text, 10) : null;
}

function indexes(set: boolean[]): number[] {
  const values: number[] = [];
  for (const [value, on] of set.entries()) if (on) values.push(value);
  return values;
}

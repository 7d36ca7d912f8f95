// A schedule's cron expression in words ("every day at 14:00") and its next periods, before it is saved. The periods
// come from croner with the scheduler's own options (5 fields, the "no-wildcard" rule for daylight-saving days), so
// the preview is what the scheduler will do; the server checks the expression again when it is saved.
import { Cron } from 'croner';
import type { Language } from './i18n.ts';

const WORDS = {
  en: {
    everyMinute: 'every minute',
    everyNMinutes: (n: number) => `every ${n} minutes`,
    everyHourAt: (m: string) => (Number(m) === 0 ? 'every hour, on the hour' : `every hour at ${m} minutes past`),
    everyNHoursAt: (n: number, m: string) => `every ${n} hours, at ${m} minutes past`,
    everyDayAt: (times: string) => `every day at ${times}`,
    onDaysAt: (days: string, times: string) => `on ${days} at ${times}`,
    monthlyAt: (day: string, times: string) => `on day ${day} of every month at ${times}`,
    yearlyAt: (day: string, month: string, times: string) => `every year on ${day} ${month} at ${times}`,
    fields: (m: string, h: string, dom: string, mon: string, dow: string) =>
      `at minute ${m}, hour ${h}, day of month ${dom}, month ${mon}, weekday ${dow}`,
    and: 'and',
    to: 'to',
    weekdays: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
    months: [
      'January',
      'February',
      'March',
      'April',
      'May',
      'June',
      'July',
      'August',
      'September',
      'October',
      'November',
      'December',
    ],
    inZone: (zone: string) => `(${zone} time)`,
  },
  nb: {
    everyMinute: 'hvert minutt',
    everyNMinutes: (n: number) => `hvert ${n}. minutt`,
    everyHourAt: (m: string) => (Number(m) === 0 ? 'hver hele time' : `hver time, ${m} minutter over`),
    everyNHoursAt: (n: number, m: string) => `hver ${n}. time, ${m} minutter over`,
    everyDayAt: (times: string) => `hver dag kl. ${times}`,
    onDaysAt: (days: string, times: string) => `${days} kl. ${times}`,
    monthlyAt: (day: string, times: string) => `den ${day}. hver måned kl. ${times}`,
    yearlyAt: (day: string, month: string, times: string) => `hvert år ${day}. ${month} kl. ${times}`,
    fields: (m: string, h: string, dom: string, mon: string, dow: string) =>
      `minutt ${m}, time ${h}, dag i måneden ${dom}, måned ${mon}, ukedag ${dow}`,
    and: 'og',
    to: 'til',
    weekdays: ['søndag', 'mandag', 'tirsdag', 'onsdag', 'torsdag', 'fredag', 'lørdag'],
    months: [
      'januar',
      'februar',
      'mars',
      'april',
      'mai',
      'juni',
      'juli',
      'august',
      'september',
      'oktober',
      'november',
      'desember',
    ],
    inZone: (zone: string) => `(tid i ${zone})`,
  },
} as const;

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const NUMBER = /^\d{1,2}$/;
const NUMBERS = /^\d{1,2}(,\d{1,2})*$/;

function list(items: string[], and: string): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items.at(-1)}`;
}

const pad = (value: string) => value.padStart(2, '0');

/** The expression in words, or null when it is not five fields (the preview then shows croner's complaint). */
export function describeCron(expression: string, timeZone: string, language: Language): string | null {
  const words = WORDS[language];
  const text = MACROS[expression.trim().toLowerCase()] ?? expression.trim();
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return null;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const zone = words.inZone(timeZone);
  const times = () =>
    list(
      hour.split(',').flatMap((h) => minute.split(',').map((m) => `${pad(h)}:${pad(m)}`)),
      words.and,
    );
  const anyDay = dom === '*' && month === '*';

  let phrase: string | null = null;
  if (anyDay && dow === '*' && hour === '*') {
    if (minute === '*' || minute === '*/1') phrase = words.everyMinute;
    else if (/^\*\/\d+$/.test(minute)) phrase = words.everyNMinutes(Number(minute.slice(2)));
    else if (NUMBER.test(minute)) phrase = words.everyHourAt(minute);
  } else if (anyDay && dow === '*' && /^\*\/\d+$/.test(hour) && NUMBER.test(minute)) {
    phrase = words.everyNHoursAt(Number(hour.slice(2)), minute);
  } else if (NUMBERS.test(minute) && NUMBERS.test(hour)) {
    if (anyDay && dow === '*') phrase = words.everyDayAt(times());
    else if (anyDay && /^[0-7]([-,][0-7])*$/.test(dow)) phrase = words.onDaysAt(weekdays(dow, language), times());
    else if (NUMBER.test(dom) && month === '*' && dow === '*') phrase = words.monthlyAt(dom, times());
    else if (NUMBER.test(dom) && NUMBER.test(month) && dow === '*') {
      phrase = words.yearlyAt(dom, words.months[Number(month) - 1] ?? month, times());
    }
  }
  return `${phrase ?? words.fields(minute, hour, dom, month, dow)} ${zone}`;
}

function weekdays(field: string, language: Language): string {
  const words = WORDS[language];
  const name = (n: string) => words.weekdays[Number(n) % 7] ?? n;
  return list(
    field.split(',').map((part) => {
      const [from, to] = part.split('-');
      return to === undefined ? name(from ?? '') : `${name(from ?? '')} ${words.to} ${name(to)}`;
    }),
    words.and,
  );
}

/** A refusal says why (`message`, croner's words), or how many fields were given where 5 are needed (`fields`). */
export type CronPreview = { ok: true; periods: Date[] } | { ok: false; message: string; fields?: number };

/** The next `count` periods after `now`, as the scheduler computes them, or why the expression is refused. */
export function previewCron(expression: string, timeZone: string, now: Date, count = 3): CronPreview {
  const text = expression.trim();
  if (text === '') return { ok: false, message: 'empty' };
  // Counted here, as the server counts them: croner's own message would offer six or seven fields, which neither takes.
  const fields = text.split(/\s+/).length;
  if (fields !== 5) return { ok: false, message: `${fields} fields, 5 needed`, fields };
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    return { ok: false, message: `unknown time zone ${timeZone}` };
  }
  try {
    const cron = new Cron(text, {
      timezone: timeZone,
      paused: true,
      mode: '5-part',
      fixedTimeRule: 'no-wildcard',
    });
    const periods = cron.nextRuns(count, now);
    return periods.length > 0 ? { ok: true, periods } : { ok: false, message: 'never fires' };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : 'invalid' };
  }
}

/**
 * The time zones an admin may pick: the browser's list (Intl.supportedValuesOf), with UTC, which it leaves out, and
 * with today's names for the zones it lists by an old spelling (Europe/Kyiv, not Europe/Kiev; the database knows
 * both), plus the schedule's own zone as it is stored, sorted. A zone the browser cannot format keeps its old name.
 */
export function zoneChoices(
  current: string,
  supported: readonly string[] = Intl.supportedValuesOf('timeZone'),
): string[] {
  const known = (zone: string) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  };
  const today = (zone: string) => {
    const renamed = RENAMED_ZONES[zone];
    return renamed !== undefined && known(renamed) ? renamed : zone;
  };
  return [...new Set([...supported.map(today), 'UTC', current])].sort((a, b) => a.localeCompare(b));
}

/** Old spellings that ICU (so the browser's list) still uses, and the IANA names that replaced them. */
const RENAMED_ZONES: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

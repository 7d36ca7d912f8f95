// The dashboard's modules without a browser: the cron in words and its preview, the ledger's days and requests
// across daylight saving, date and duration formats, the language choice, the session's claims, config.json.
import { describe, expect, it } from 'vitest';
import { createDashboardApi, SyncRunLogError } from '../../dashboard/src/api.ts';
import { problemText } from '../../dashboard/src/components/problem.tsx';
import { ConfigError, parseConfig } from '../../dashboard/src/config.ts';
import { describeCron, previewCron, zoneChoices } from '../../dashboard/src/cron-text.ts';
import { addDays, createFormats, dayKeyOf, offsetMinutes, startOfDay } from '../../dashboard/src/format.ts';
import { chooseLanguage, messagesFor } from '../../dashboard/src/i18n.ts';
import { claimsOf, isExpired, sessionOf } from '../../dashboard/src/session.ts';
import { alertSentence, alertTarget, seenFailedCount } from '../../dashboard/src/views/alerts.tsx';
import {
  countOutcomes,
  type DayFigures,
  dayFigures,
  fetchPeriods,
  isTooManyPeriods,
  ledgerRange,
  medianDuration,
  periodsByDay,
  requestRanges,
} from '../../dashboard/src/views/integration/ledger-data.ts';
import { mintUserToken } from '../../src/local/auth-keys.ts';

const OSLO = 'Europe/Oslo';

describe('the cron field in words', () => {
  it.each([
    ['*/5 * * * *', 'en', 'every 5 minutes (Europe/Oslo time)'],
    ['* * * * *', 'en', 'every minute (Europe/Oslo time)'],
    ['0 * * * *', 'en', 'every hour, on the hour (Europe/Oslo time)'],
    ['15 * * * *', 'en', 'every hour at 15 minutes past (Europe/Oslo time)'],
    ['0 */6 * * *', 'en', 'every 6 hours, at 0 minutes past (Europe/Oslo time)'],
    ['0 14 * * *', 'en', 'every day at 14:00 (Europe/Oslo time)'],
    ['0 6,18 * * *', 'en', 'every day at 06:00 and 18:00 (Europe/Oslo time)'],
    ['30 6 * * 1-5', 'en', 'on Monday to Friday at 06:30 (Europe/Oslo time)'],
    ['0 2 1 * *', 'en', 'on day 1 of every month at 02:00 (Europe/Oslo time)'],
    ['0 0 1 1 *', 'en', 'every year on 1 January at 00:00 (Europe/Oslo time)'],
    ['@daily', 'en', 'every day at 00:00 (Europe/Oslo time)'],
    ['0 8-16 * * 1', 'en', 'at minute 0, hour 8-16, day of month *, month *, weekday 1 (Europe/Oslo time)'],
    ['0 14 * * *', 'nb', 'hver dag kl. 14:00 (tid i Europe/Oslo)'],
    ['*/5 * * * *', 'nb', 'hvert 5. minutt (tid i Europe/Oslo)'],
    ['30 6 * * 1-5', 'nb', 'mandag til fredag kl. 06:30 (tid i Europe/Oslo)'],
  ] as const)('%s (%s): %s', (cron, language, words) => {
    expect(describeCron(cron, OSLO, language)).toBe(words);
  });

  it('is null for what is not five fields', () => {
    expect(describeCron('0 14 * *', OSLO, 'en')).toBeNull();
  });

  it('previews the next periods as the scheduler computes them, daylight saving included', () => {
    const preview = previewCron('30 2 * * *', OSLO, new Date('2026-03-28T12:00:00Z'));
    // On 29 March 02:30 does not exist: the period moves to the first valid time after the gap (03:00 CEST).
    expect(preview).toEqual({
      ok: true,
      periods: [new Date('2026-03-29T01:00:00Z'), new Date('2026-03-30T00:30:00Z'), new Date('2026-03-31T00:30:00Z')],
    });
    const autumn = previewCron('30 2 * * *', OSLO, new Date('2026-10-24T12:00:00Z'));
    expect(autumn.ok && autumn.periods[0]).toEqual(new Date('2026-10-25T00:30:00Z')); // the first 02:30, once
  });

  it('says why an expression or a time zone cannot be used', () => {
    expect(previewCron('61 * * * *', OSLO, new Date())).toMatchObject({ ok: false });
    expect(previewCron('0 14 * * *', 'Mars/Olympus', new Date())).toEqual({
      ok: false,
      message: 'unknown time zone Mars/Olympus',
    });
    expect(previewCron('0 0 31 2 *', OSLO, new Date())).toMatchObject({ ok: false });
    expect(previewCron('  ', OSLO, new Date())).toEqual({ ok: false, message: 'empty' });
    // Fields counted as the server counts them (croner would offer six or seven), said in the user's language.
    for (const [expression, fields] of [
      ['*/5 * * *', 4],
      ['0 0 * * * *', 6],
      ['hello', 1],
    ] as const) {
      expect(previewCron(expression, OSLO, new Date())).toMatchObject({ ok: false, fields });
    }
    expect(messagesFor('en').settings.cronFields(4)).toBe(
      'This expression has 4 fields; it needs 5: minute, hour, day of month, month, weekday.',
    );
    expect(messagesFor('nb').settings.cronFields(1)).toBe(
      'Dette uttrykket har 1 felt; det trenger 5: minutt, time, dag i måneden, måned, ukedag.',
    );
  });
});

describe('the ledger across daylight saving', () => {
  it('has the last 30 calendar days of the time zone, from midnight to the next midnight', () => {
    const range = ledgerRange(new Date('2026-11-10T11:00:00Z'), OSLO);
    expect(range.days).toHaveLength(30);
    expect(range.days[0]).toBe('2026-10-12');
    expect(range.days.at(-1)).toBe('2026-11-10');
    expect(range.from.toISOString()).toBe('2026-10-11T22:00:00.000Z'); // midnight CEST
    expect(range.to.toISOString()).toBe('2026-11-10T23:00:00.000Z'); // midnight CET
  });

  it('groups periods by the calendar day of the time zone: 25 on 25 October, 23 on 29 March', () => {
    const hourly = (from: string, hours: number) =>
      Array.from({ length: hours }, (_, i) => ({
        scheduledFor: new Date(Date.parse(from) + i * 3_600_000).toISOString(),
        outcome: 'completed' as const,
        runId: null,
        status: null,
        startedAt: null,
        endedAt: null,
        recordsProcessed: null,
        recordsFailed: null,
        driftSeconds: null,
        archived: false,
      }));
    const autumn = periodsByDay(hourly('2026-10-24T22:00:00Z', 25), OSLO);
    expect([...autumn.keys()]).toEqual(['2026-10-25']);
    const spring = periodsByDay(hourly('2026-03-28T23:00:00Z', 23), OSLO);
    expect([...spring.keys()]).toEqual(['2026-03-29']);
  });

  it('cuts a busy schedule into requests of at most 900 periods, estimated from a sampled day', () => {
    const from = new Date('2026-10-12T00:00:00Z');
    const to = new Date('2026-11-11T00:00:00Z');
    const ranges = requestRanges('*/5 * * * *', OSLO, from, to);
    expect(ranges.length).toBeGreaterThanOrEqual(Math.ceil((30 * 288) / 900));
    expect(ranges[0]?.from).toEqual(from);
    expect(ranges.at(-1)?.to).toEqual(to);
    for (const [i, range] of ranges.entries()) {
      if (i > 0) expect(range.from).toEqual(ranges[i - 1]?.to);
      expect((range.to.getTime() - range.from.getTime()) / 300_000).toBeLessThanOrEqual(900);
    }
    expect(requestRanges('0 14 * * *', OSLO, from, to)).toEqual([{ from, to }]);
  });

  it('halves a range the server finds too full until each part fits, and keeps every period once', async () => {
    const from = new Date('2026-10-01T00:00:00Z');
    const to = new Date('2026-10-11T00:00:00Z');
    const minutes = (a: Date, b: Date) => (b.getTime() - a.getTime()) / 60_000;
    const asked: number[] = [];
    const load = async (a: Date, b: Date) => {
      asked.push(minutes(a, b));
      const count = minutes(a, b) / 5; // an every-5-minutes schedule
      if (count > 1000) throw { code: 'invalid_argument', message: 'the range holds more than 1000 periods' };
      return Array.from({ length: count }, (_, i) => a.getTime() + i * 300_000);
    };
    const tooMany = (error: unknown) => isTooManyPeriods(error as { code?: string; message?: string });
    const periods = await fetchPeriods(load, from, to, tooMany);
    expect(periods).toHaveLength(10 * 288);
    expect(new Set(periods).size).toBe(periods.length);
    expect(periods[0]).toBe(from.getTime());
    expect(Math.max(...asked.filter((m) => m / 5 <= 1000))).toBeLessThanOrEqual(5000);
    // Other errors are not retried.
    const refuse = async () => {
      throw { code: 'forbidden', message: 'no' };
    };
    await expect(fetchPeriods(refuse, from, to, tooMany)).rejects.toEqual({ code: 'forbidden', message: 'no' });
  });

  it('counts outcomes worst first, and gives each day its figures', () => {
    const period = (scheduledFor: string, outcome: 'completed' | 'missed' | 'late', extra = {}) => ({
      scheduledFor,
      outcome,
      runId: outcome === 'missed' ? null : 'r',
      status: null,
      startedAt: null,
      endedAt: null,
      recordsProcessed: null,
      recordsFailed: null,
      driftSeconds: null,
      archived: false,
      ...extra,
    });
    const periods = [
      period('2026-10-25T10:00:00Z', 'completed', {
        startedAt: '2026-10-25T10:00:04Z',
        endedAt: '2026-10-25T10:01:04Z',
        recordsProcessed: 10,
        recordsFailed: 1,
        driftSeconds: 4,
      }),
      period('2026-10-25T11:00:00Z', 'late', {
        startedAt: '2026-10-25T11:10:00Z',
        endedAt: '2026-10-25T11:12:00Z',
        recordsProcessed: 5,
        recordsFailed: 0,
        driftSeconds: 600,
      }),
      period('2026-10-25T12:00:00Z', 'missed'),
    ];
    expect(countOutcomes(periods)).toEqual([
      { outcome: 'missed', count: 1 },
      { outcome: 'late', count: 1 },
      { outcome: 'completed', count: 1 },
    ]);
    const [figures] = dayFigures(['2026-10-25'], periodsByDay(periods, OSLO), OSLO);
    expect(figures).toEqual({
      day: '2026-10-25',
      x: Date.parse('2026-10-24T22:00:00Z') / 1000,
      runs: 2,
      durations: [60, 120],
      medianDuration: 90,
      longestDuration: 120,
      processed: 15,
      failed: 1,
      largestDrift: 600,
    });
  });

  it('the median duration of 30 days is that of every run, not of the days: a quiet day weighs one run', () => {
    const day = (durations: number[]) => ({ durations }) as unknown as DayFigures;
    // Days with medians 20 and 100; the four runs' median is 25.
    expect(medianDuration([day([10, 20, 30]), day([100])])).toBe(25);
    expect(medianDuration([day([]), day([])])).toBeNull();
  });
});

describe('formats', () => {
  it('writes times in the schedule zone with its abbreviation, so the repeated hour differs', () => {
    const f = createFormats('en-GB');
    expect(f.time('2026-10-25T00:30:00Z', OSLO)).toBe('02:30 CEST');
    expect(f.time('2026-10-25T01:30:00Z', OSLO)).toBe('02:30 CET');
    expect(f.dateTime('2026-10-25T01:30:00Z', OSLO)).toBe('25 Oct 2026, 02:30 CET');
    expect(f.localAndUtc('2026-10-25T01:30:00Z', { local: 'Your time', utc: 'UTC' })).toMatch(
      /^Your time: .+\nUTC: 25 Oct 2026, 01:30:00 UTC$/,
    );
    expect(createFormats('nb-NO').dateTime('2026-10-25T01:30:00Z', OSLO)).toBe('25. okt. 2026, 02:30 CET');
  });

  it('writes durations and relative times', () => {
    const f = createFormats('en-GB');
    expect(f.duration(0)).toBe('0s');
    expect(f.duration(95)).toBe('1m 35s');
    expect(f.duration(3 * 3600 + 60)).toBe('3h 1m');
    const now = new Date('2026-10-25T12:00:00Z');
    expect(f.relative('2026-10-25T11:57:00Z', now)).toBe('3 minutes ago');
    expect(f.relative('2026-10-25T14:00:00Z', now)).toBe('in 2 hours');
  });

  it('knows the calendar days and midnights of a zone', () => {
    expect(dayKeyOf('2026-10-24T22:30:00Z', OSLO)).toBe('2026-10-25');
    expect(offsetMinutes(new Date('2026-07-01T12:00:00Z'), OSLO)).toBe(120);
    expect(offsetMinutes(new Date('2026-12-01T12:00:00Z'), OSLO)).toBe(60);
    expect(startOfDay('2026-10-25', OSLO).toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(startOfDay('2026-10-26', OSLO).toISOString()).toBe('2026-10-25T23:00:00.000Z');
    expect(startOfDay('2026-03-29', OSLO).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDay('2026-03-30', OSLO).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    // Santiago skips midnight on 6 September 2026 (00:00 at UTC-4 becomes 01:00 at UTC-3): the day starts then.
    expect(startOfDay('2026-09-06', 'America/Santiago').toISOString()).toBe('2026-09-06T04:00:00.000Z');
    expect(startOfDay('2026-09-07', 'America/Santiago').toISOString()).toBe('2026-09-07T03:00:00.000Z');
    expect(startOfDay('2026-09-05', 'America/Santiago').toISOString()).toBe('2026-09-05T04:00:00.000Z');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});

describe('a run_failed alert', () => {
  const alert = (details: Record<string, unknown>) =>
    ({
      id: 'a1',
      orgId: 'o1',
      kind: 'run_failed',
      integrationType: 'bufdir',
      runId: 'first-run',
      details,
      dedupeKey: null,
      createdAt: '2026-11-25T01:00:44Z',
      acknowledgedAt: null,
      acknowledgedBy: null,
    }) as Parameters<typeof alertSentence>[0];
  const first = { failed_count: 1, error_message: 'bufdir: HTTP 503', last_run_id: 'first-run' };
  const again = {
    ...first,
    failed_count: 3,
    last_run_id: 'third-run',
    last_failed_at: '2026-11-27T01:00:40Z',
    last_error_message: 'bufdir: refused the credentials (HTTP 401)',
  };

  it("says what the vendor answered, and after more failures how many and the latest's answer", () => {
    const en = messagesFor('en');
    const f = createFormats('en-GB');
    expect(alertSentence(alert(first), en, f, OSLO)).toBe('A scheduled run failed: bufdir: HTTP 503');
    expect(alertSentence(alert(again), en, f, OSLO)).toBe(
      '3 scheduled runs failed while this alert was open, the last at 27 Nov 2026, 02:00 CET: ' +
        'bufdir: refused the credentials (HTTP 401)',
    );
    expect(alertSentence(alert({}), en, f, OSLO)).toBe('A scheduled run failed.');
    expect(alertSentence(alert(first), messagesFor('nb'), createFormats('nb-NO'), OSLO)).toBe(
      'En planlagt kjøring feilet: bufdir: HTTP 503',
    );
  });

  it('writes a large count as the language groups its digits', () => {
    // Four days of an every-5-minutes schedule with refused credentials.
    const many = { ...again, failed_count: 1152 };
    expect(alertSentence(alert(many), messagesFor('en'), createFormats('en-GB'), OSLO)).toMatch(
      /^1,152 scheduled runs failed/,
    );
    expect(alertSentence(alert(many), messagesFor('nb'), createFormats('nb-NO'), OSLO)).toMatch(
      /^1\u00a0152 planlagte kjøringer har feilet/,
    );
    expect(messagesFor('en').overview.alertsCount(1152)).toBe('1,152 open alerts');
    expect(messagesFor('nb').overview.alertsCount(1152)).toBe('1\u00a0152 åpne varsler');
    expect(messagesFor('en').alerts.missed(2880)).toBe('2,880 periods were not run; a newer period ran instead.');
    expect(messagesFor('nb').alerts.missed(2880)).toMatch(/^2\u00a0880 perioder ble ikke kjørt/);
    expect(messagesFor('en').errors.alertChanged(1153)).toContain('(1,153 failures now)');
    expect(messagesFor('nb').errors.alertChanged(1153)).toContain('(1\u00a0153 feil nå)');
  });

  it('leads to the latest failed run', () => {
    expect(alertTarget(alert(first), OSLO)?.href).toContain('run=first-run');
    expect(alertTarget(alert(again), OSLO)?.href).toContain('run=third-run');
  });

  it('is acknowledged with the failures its sentence shows (1 when it counts none); other kinds send no count', () => {
    expect(seenFailedCount(alert(again))).toBe(3);
    expect(seenFailedCount(alert(first))).toBe(1);
    expect(seenFailedCount(alert({}))).toBe(1);
    expect(seenFailedCount({ ...alert({ failed_count: 3 }), kind: 'stuck_run' })).toBeUndefined();
  });

  it('refused because more failed since the page loaded: says so, with the count now, in both languages', () => {
    const changed = new SyncRunLogError('alert_changed', 'the alert has changed: 4 failures now, 3 seen', {
      failedCount: 4,
      httpStatus: 409,
    });
    expect(problemText(changed, messagesFor('en'), 'coordinator')).toBe(
      'Not acknowledged: more runs failed after this page was loaded (4 failures now). Look at the alert again, then acknowledge it.',
    );
    expect(problemText(changed, messagesFor('nb'), 'koordinator')).toBe(
      'Ikke kvittert: flere kjøringer har feilet etter at siden ble lastet (4 feil nå). Se på varselet igjen, og kvitter så.',
    );
    const uncounted = new SyncRunLogError('alert_changed', 'changed', { httpStatus: 409 });
    expect(problemText(uncounted, messagesFor('en'), 'coordinator')).toBe(
      'Not acknowledged: more runs failed after this page was loaded. Look at the alert again, then acknowledge it.',
    );
  });
});

describe('a scheduler_stalled alert', () => {
  it('says since when the scheduler has not ticked, or that it never has', () => {
    const alert = (details: Record<string, unknown>) =>
      ({
        id: 'a2',
        orgId: 'o1',
        kind: 'scheduler_stalled',
        integrationType: 'xledger',
        runId: null,
        details,
        dedupeKey: 'scheduler_stalled:xledger:2026-11-27T01:00:00.000000Z',
        createdAt: '2026-11-27T01:10:00Z',
        acknowledgedAt: null,
        acknowledgedBy: null,
      }) as Parameters<typeof alertSentence>[0];
    const en = messagesFor('en');
    const f = createFormats('en-GB');
    expect(alertSentence(alert({ last_tick_at: '2026-11-27T01:00:00Z' }), en, f, OSLO)).toBe(
      'The scheduler has not ticked since 27 Nov 2026, 02:00 CET: no period starts until it is back.',
    );
    expect(alertSentence(alert({ last_tick_at: null }), en, f, OSLO)).toBe(
      'The scheduler has never ticked: no period starts until it is back.',
    );
    expect(alertTarget(alert({}), OSLO)).toBeNull();
  });
});

describe('language', () => {
  it('is Norwegian for nb, no and nn first; English otherwise', () => {
    expect(chooseLanguage(['nb-NO', 'en'])).toEqual({ language: 'nb', locale: 'nb-NO' });
    expect(chooseLanguage(['no'])).toEqual({ language: 'nb', locale: 'nb-NO' });
    expect(chooseLanguage(['nn-NO'])).toEqual({ language: 'nb', locale: 'nb-NO' });
    expect(chooseLanguage(['en-US', 'nb'])).toEqual({ language: 'en', locale: 'en-US' });
    expect(chooseLanguage(['de-DE', 'en'])).toEqual({ language: 'en', locale: 'en-GB' });
    expect(chooseLanguage([])).toEqual({ language: 'en', locale: 'en-GB' });
  });

  it('has every message in both languages', () => {
    const keys = (value: unknown, prefix = ''): string[] =>
      typeof value === 'object' && value !== null
        ? Object.entries(value).flatMap(([key, inner]) => keys(inner, `${prefix}${key}.`))
        : [prefix];
    expect(keys(messagesFor('nb'))).toEqual(keys(messagesFor('en')));
  });
});

describe('the session', () => {
  it('reads role, org and expiry from the token (the function verifies it)', async () => {
    const token = await mintUserToken(
      { orgId: '6f1c1f5e-8a7b-4c0e-9d2a-3b4c5d6e7f80', userRole: 'admin' },
      { expiresIn: 60, now: () => new Date('2026-10-25T12:00:00Z') },
    );
    const session = sessionOf(token);
    expect(session).toMatchObject({ role: 'admin', orgId: '6f1c1f5e-8a7b-4c0e-9d2a-3b4c5d6e7f80' });
    expect(isExpired(session as NonNullable<typeof session>, new Date('2026-10-25T12:00:59Z'))).toBe(false);
    expect(isExpired(session as NonNullable<typeof session>, new Date('2026-10-25T12:01:00Z'))).toBe(true);
    expect(claimsOf('not-a-jwt')).toBeNull();
    expect(sessionOf('a.b%%.c')).toBeNull();
  });
});

describe('config.json', () => {
  it('takes the project URL, the publishable key and how sign-in works, and says what is wrong', () => {
    expect(parseConfig({ supabaseUrl: 'https://abc.supabase.co/', publishableKey: 'sb_publishable_x' })).toEqual({
      supabaseUrl: 'https://abc.supabase.co',
      publishableKey: 'sb_publishable_x',
      auth: 'supabase',
      signInUrl: null,
      pollMs: 2000,
    });
    expect(() => parseConfig({ publishableKey: 'k' })).toThrow(ConfigError);
    expect(() => parseConfig({ supabaseUrl: 'https://a.co', publishableKey: '' })).toThrow(/publishableKey/);
    expect(() => parseConfig({ supabaseUrl: 'https://a.co', publishableKey: 'k', auth: 'magic' })).toThrow(/auth/);
    expect(() => parseConfig({ supabaseUrl: 'https://a.co', publishableKey: 'k', pollMs: 5 })).toThrow(/pollMs/);
  });
});

describe('zoneChoices', () => {
  it("offers UTC and today's name for each zone the browser lists by an old one, and the schedule's own zone, sorted", () => {
    const choices = zoneChoices('Europe/Oslo', ['Europe/Kiev', 'Europe/Oslo', 'Asia/Calcutta', 'America/Buenos_Aires']);
    expect(choices).toEqual(['America/Argentina/Buenos_Aires', 'Asia/Kolkata', 'Europe/Kyiv', 'Europe/Oslo', 'UTC']);
    expect(zoneChoices('America/Argentina/La_Rioja', [])).toEqual(['America/Argentina/La_Rioja', 'UTC']);
  });

  it('keeps a schedule stored under an old name selectable as it is, beside the new name', () => {
    expect(zoneChoices('Europe/Kiev', ['Europe/Kiev', 'Europe/Oslo'])).toEqual([
      'Europe/Kiev',
      'Europe/Kyiv',
      'Europe/Oslo',
      'UTC',
    ]);
  });

  it("offers one name per zone of this runtime's own list", () => {
    const choices = zoneChoices('Europe/Oslo');
    expect(new Set(choices).size).toBe(choices.length);
    expect(choices).toContain('Europe/Kyiv');
    expect(choices).not.toContain('Europe/Kiev');
    expect(choices).not.toContain('Asia/Calcutta');
  });
});

describe("the dashboard's api", () => {
  it('a run the address names by no id at all is not found (a refusal the user could not correct otherwise)', async () => {
    let asked = 0;
    const invoker = {
      functions: {
        invoke: async () => {
          asked++;
          return { data: null, error: null };
        },
      },
    } as unknown as Parameters<typeof createDashboardApi>[0];
    const error = await createDashboardApi(invoker)
      .run('not-a-uuid')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncRunLogError);
    expect((error as SyncRunLogError).code).toBe('not_found');
    expect(asked).toBe(0);
    expect(messagesFor('en').integration.noneChosen).toBe('No integration is chosen. Pick one on the overview.');
  });
});

// The fast period expansion (scheduler/cron-range.ts, cron-fields.ts) against croner itself in the named zone: the
// same instants, period for period, for many expressions (steps, ranges with steps, lists, month and day names,
// both day fields restricted, aliases, and the L/W/#/? forms left to croner) and ranges, across changes of offset
// (DST in Oslo, New York and Sydney, the half-hour shift of Lord Howe Island) and over long fixed-offset stretches.
import { Cron } from 'croner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextPeriods } from '../../supabase/functions/_shared/schedule-periods.ts';
import { CRON_OPTIONS } from '../../supabase/functions/_shared/scheduler/cron.ts';
import { parseCronFields } from '../../supabase/functions/_shared/scheduler/cron-fields.ts';
import {
  cronPeriodsBetween,
  offsetChanges,
  utcOffsetMinutes,
} from '../../supabase/functions/_shared/scheduler/cron-range.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** croner's own answer: step nextRun in the named zone, the way the scheduler reads a schedule. */
function croner(expression: string, timeZone: string, from: Date, to: Date): string[] {
  const cron = new Cron(expression, { ...CRON_OPTIONS, timezone: timeZone, paused: true });
  const periods: string[] = [];
  let next = cron.nextRun(new Date(from.getTime() - 1));
  while (next && next.getTime() < to.getTime()) {
    periods.push(next.toISOString());
    next = cron.nextRun(next);
  }
  return periods;
}

const fast = (expression: string, timeZone: string, from: Date, to: Date) =>
  cronPeriodsBetween(expression, timeZone, from, to, { cronOptions: CRON_OPTIONS, max: 100_000 }).map((d) =>
    d.toISOString(),
  );

/** Changes of offset in 2026, each a zone and the instant (the ranges are drawn around them). */
const CHANGES: [string, string][] = [
  ['Europe/Oslo', '2026-03-29T01:00:00Z'],
  ['Europe/Oslo', '2026-10-25T01:00:00Z'],
  ['America/New_York', '2026-03-08T07:00:00Z'],
  ['America/New_York', '2026-11-01T06:00:00Z'],
  ['Australia/Sydney', '2026-04-04T16:00:00Z'],
  ['Australia/Sydney', '2026-10-03T16:00:00Z'],
  ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
  ['Australia/Lord_Howe', '2026-10-03T15:30:00Z'],
  ['Asia/Kolkata', '2026-06-01T00:00:00Z'],
  ['UTC', '2026-06-01T00:00:00Z'],
];

const field = (choices: string[]) => fc.constantFrom(...choices);
const expressions = fc.oneof(
  fc
    .tuple(
      field(['0', '30', '*/15', '*/20', '0,30', '5-10', '45', '1-30/7', '10-50/20,59', '*/7']),
      field(['*', '2', '0-6', '*/3', '1,2,3', '23', '2,14', '1-23/5', '0-3,20-23']),
      field(['*', '1', '15', '25-31', '*/10', '1-30/7', '1,15,31', '*/1']),
      field(['*', '3', '10', '3,4,10,11', 'mar', 'OCT', 'jan-mar,Oct-dec', '*/2', '2-11/3', 'Mar,Oct']),
      field(['*', '0', '1-5', '6', '7', 'MON-FRI', 'sun', 'mon-sun', 'sat,sun', 'Sat-Sun', '*/2', '1-7/3', '5-7']),
    )
    .map((parts) => parts.join(' ')),
  field([
    '@daily',
    '@hourly',
    '@weekly',
    '@midnight',
    '@monthly',
    '@Yearly',
    '30 2 * * *',
    '0 3 * * 0',
    '*/5 * * * *',
    '  0   6,18  *  *  *  ',
    // Both day fields restricted: croner's 5-part mode takes either (OR).
    '0 9 1,15 * MON',
    '15 2 13 * fri',
    '0 12 1-7 * 1',
    // Not read by the fast parser (L, W, #, ?): croner's own answer at the fixed offsets too.
    '0 12 L * *',
    '0 9 ? * MON#2',
    '30 2 15W * *',
    '0 8 * * 5L',
  ]),
);

describe('cronPeriodsBetween', () => {
  it('finds the offset changes of a zone and the offsets on both sides', () => {
    const changes = offsetChanges(
      'Europe/Oslo',
      Date.parse('2026-01-01T00:00:00Z'),
      Date.parse('2027-01-01T00:00:00Z'),
    );
    expect(changes.map((c) => new Date(c).toISOString())).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
    ]);
    expect(utcOffsetMinutes('Europe/Oslo', Date.parse('2026-07-01T00:00:00Z'))).toBe(120);
    expect(utcOffsetMinutes('Australia/Lord_Howe', Date.parse('2026-07-01T00:00:00Z'))).toBe(630);
    expect(offsetChanges('Asia/Kolkata', 0, 365 * DAY)).toEqual([]);
  });

  it("gives croner's instants, period for period, across changes of offset (property)", () => {
    fc.assert(
      fc.property(
        expressions,
        fc.constantFrom(...CHANGES),
        fc.integer({ min: -4 * 24, max: 2 * 24 }),
        fc.integer({ min: 1, max: 6 * 24 }),
        (expression, [timeZone, change], startHours, lengthHours) => {
          const from = new Date(Date.parse(change) + startHours * HOUR + (startHours % 7) * 60_000);
          const to = new Date(from.getTime() + lengthHours * HOUR);
          expect(fast(expression, timeZone, from, to)).toEqual(croner(expression, timeZone, from, to));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("gives croner's instants over long ranges anywhere in the year, mostly at fixed offsets (property)", () => {
    fc.assert(
      fc.property(
        expressions,
        fc.constantFrom('Europe/Oslo', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC'),
        fc.integer({ min: 0, max: 365 * 24 * 60 - 1 }),
        fc.integer({ min: 1, max: 20 * 24 }),
        (expression, timeZone, startMinutes, lengthHours) => {
          const from = new Date(Date.parse('2026-01-01T00:00:00Z') + startMinutes * 60_000);
          const to = new Date(from.getTime() + lengthHours * HOUR);
          expect(fast(expression, timeZone, from, to)).toEqual(croner(expression, timeZone, from, to));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reads the plain fields itself and leaves L, W, # and ? to croner', () => {
    const fields = parseCronFields('1-30/7 */5 1,15 jan-mar,Oct mon-sun');
    expect(fields?.minutes).toEqual([1, 8, 15, 22, 29]);
    expect(fields?.hours).toEqual([0, 5, 10, 15, 20]);
    expect(fields?.months.flatMap((on, month) => (on ? [month] : []))).toEqual([1, 2, 3, 10]);
    expect(fields?.daysOfWeek).toEqual([true, true, true, true, true, true, true]);
    expect(fields?.anyDayOfMonth).toBe(false);
    expect(fields?.anyDayOfWeek).toBe(false);
    expect(parseCronFields('@weekly')?.daysOfWeek).toEqual([true, false, false, false, false, false, false]);
    for (const expression of ['0 12 L * *', '0 9 ? * MON#2', '30 2 15W * *', '0 8 * * 5L', '0 0 0 * * *']) {
      expect(parseCronFields(expression)).toBeNull();
    }
  });

  it("nextPeriods gives croner's next runs in the schedule's zone (property)", () => {
    fc.assert(
      fc.property(
        expressions,
        fc.constantFrom(...CHANGES),
        fc.integer({ min: -3 * 24 * 3600, max: 2 * 24 * 3600 }),
        (expression, [timeZone, change], seconds) => {
          const now = new Date(Date.parse(change) + seconds * 1000 + (seconds % 1000));
          const schedule = {
            cronExpression: expression,
            timeZone,
            enabled: true,
            activeFrom: '2026-01-01T00:00:00Z',
            lastScheduledFor: null,
          };
          const expected = new Cron(expression, { ...CRON_OPTIONS, timezone: timeZone, paused: true })
            .nextRuns(3, now)
            .map((d) => d.toISOString());
          expect(nextPeriods(schedule, now)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the ledger's worst case: every 15 minutes over 10 days across Oslo's autumn change", () => {
    const from = new Date('2026-10-20T00:00:00Z');
    const to = new Date('2026-10-30T00:00:00Z');
    const periods = fast('*/15 * * * *', 'Europe/Oslo', from, to);
    expect(periods).toEqual(croner('*/15 * * * *', 'Europe/Oslo', from, to));
    expect(periods).toHaveLength(960);
  });

  it('stops one past max, so the caller can tell the range holds more', () => {
    const periods = cronPeriodsBetween(
      '*/15 * * * *',
      'Europe/Oslo',
      new Date('2026-10-20T00:00:00Z'),
      new Date('2026-11-30T00:00:00Z'),
      {
        cronOptions: CRON_OPTIONS,
        max: 1000,
      },
    );
    expect(periods).toHaveLength(1001);
  });
});

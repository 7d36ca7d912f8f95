// The fast period expansion (scheduler/cron-range.ts) against croner itself in the named zone: the same instants,
// period for period, for many expressions and ranges, most of them across a change of offset (DST in Oslo, New York
// and Sydney, the half-hour shift of Lord Howe Island), where only the named zone's rules are right.
import { Cron } from 'croner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRON_OPTIONS } from '../../supabase/functions/_shared/scheduler/cron.ts';
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
      field(['0', '30', '*/15', '*/20', '0,30', '5-10', '45']),
      field(['*', '2', '0-6', '*/3', '1,2,3', '23', '2,14']),
      field(['*', '1', '15', '25-31']),
      field(['*', '3', '10', '3,4,10,11']),
      field(['*', '0', '1-5', '6']),
    )
    .map((parts) => parts.join(' ')),
  field(['@daily', '@hourly', '@weekly', '30 2 * * *', '0 3 * * 0', '*/5 * * * *']),
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
      { numRuns: 150 },
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

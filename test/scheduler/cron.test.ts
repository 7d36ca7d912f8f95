// Due computation with croner in the schedule's time zone, across Europe/Oslo's DST changes, and the refusal of
// bad configuration. Pure: no database, the clock is the argument.
import { describe, expect, it } from 'vitest';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import {
  duePeriods,
  latestPeriod,
  nextPeriod,
  parseScheduleCron,
  periodKey,
} from '../../supabase/functions/_shared/scheduler/cron.ts';

const oslo = (expression: string) => parseScheduleCron(expression, 'Europe/Oslo');
const at = (iso: string) => new Date(iso);

/** Every period in (from, to], as ISO strings. */
function periods(expression: string, from: string, to: string): string[] {
  const schedule = oslo(expression);
  const out: string[] = [];
  for (let p = nextPeriod(schedule, at(from)); p && p <= at(to); p = nextPeriod(schedule, p)) out.push(p.toISOString());
  return out;
}

describe('due periods in Europe/Oslo across DST', () => {
  it('spring (29 March 2026, 02:00 -> 03:00): a daily 02:30 job runs once, at 03:00 CEST, not skipped', () => {
    expect(periods('30 2 * * *', '2026-03-27T12:00:00Z', '2026-03-31T12:00:00Z')).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('spring: an hourly job follows real time, the missing 02:00 is not invented', () => {
    expect(periods('0 * * * *', '2026-03-28T23:30:00Z', '2026-03-29T02:30:00Z')).toEqual([
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST (02:00 skipped)
      '2026-03-29T02:00:00.000Z', // 04:00 CEST
    ]);
  });

  it('spring: a job every 30 minutes skips the local times in the gap and keeps real 30-minute steps', () => {
    expect(periods('*/30 * * * *', '2026-03-29T00:15:00Z', '2026-03-29T01:45:00Z')).toEqual([
      '2026-03-29T00:30:00.000Z', // 01:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-29T01:30:00.000Z', // 03:30 CEST
    ]);
  });

  it('autumn (25 October 2026, 03:00 -> 02:00): a daily 02:30 job runs once, at the first 02:30', () => {
    expect(periods('30 2 * * *', '2026-10-23T12:00:00Z', '2026-10-27T12:00:00Z')).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // first 02:30 (CEST); the second (01:30Z, CET) does not run
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it('autumn: a fixed-time list (02:30 and 14:30) is not doubled in the repeated hour', () => {
    expect(periods('30 2,14 * * *', '2026-10-24T12:00:00Z', '2026-10-25T23:00:00Z')).toEqual([
      '2026-10-24T12:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T13:30:00.000Z',
    ]);
  });

  it('autumn: an hourly job runs in both passes of the repeated hour (two instants, two periods, two keys)', () => {
    const hours = periods('0 * * * *', '2026-10-24T23:30:00Z', '2026-10-25T02:30:00Z');
    expect(hours).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']);
    expect(new Set(hours.map((p) => periodKey('xledger', new Date(p)))).size).toBe(3);
  });

  it('the latest due period at a time inside the gap is the last real one before it', () => {
    const daily = oslo('30 2 * * *');
    expect(latestPeriod(daily, at('2026-03-29T01:05:00Z'))?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(latestPeriod(daily, at('2026-03-29T00:59:59Z'))?.toISOString()).toBe('2026-03-28T01:30:00.000Z');
  });
});

describe('duePeriods', () => {
  const every5 = oslo('*/5 * * * *');

  it('nothing is due before the next period, a period is due from its first millisecond on', () => {
    expect(duePeriods(every5, at('2026-11-28T10:00:00Z'), at('2026-11-28T10:04:59.999Z'))).toBeNull();
    const due = duePeriods(every5, at('2026-11-28T10:00:00Z'), at('2026-11-28T10:05:00Z'));
    expect(due?.latest.toISOString()).toBe('2026-11-28T10:05:00.000Z');
    expect(due?.missed).toEqual([]);
  });

  it('after downtime: the latest period runs, the earlier ones are missed (oldest first)', () => {
    const due = duePeriods(every5, at('2026-11-28T10:00:00Z'), at('2026-11-28T10:23:00Z'));
    expect(due?.latest.toISOString()).toBe('2026-11-28T10:20:00.000Z');
    expect(due?.missed.map((p) => p.toISOString())).toEqual([
      '2026-11-28T10:05:00.000Z',
      '2026-11-28T10:10:00.000Z',
      '2026-11-28T10:15:00.000Z',
    ]);
    expect(due?.missedCount).toBe(3);
  });

  it('a long outage of an every-minute schedule lists 1000 missed periods and counts them all', () => {
    const everyMinute = oslo('* * * * *');
    const due = duePeriods(everyMinute, at('2026-11-25T00:00:00Z'), at('2026-11-28T00:00:30Z'));
    expect(due?.latest.toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(due?.missed).toHaveLength(1000);
    expect(due?.missedCount).toBe(3 * 24 * 60 - 1);
  });

  it('the period key is integration and period in ISO UTC', () => {
    expect(periodKey('xledger', at('2026-03-29T01:00:00Z'))).toBe('xledger:2026-03-29T01:00:00.000Z');
  });
});

describe('bad configuration is refused with a clear error', () => {
  const refused = (expression: string, timeZone = 'Europe/Oslo') => {
    try {
      parseScheduleCron(expression, timeZone);
    } catch (error) {
      expect(error).toBeInstanceOf(SyncRunLogError);
      expect((error as SyncRunLogError).code).toBe('invalid_argument');
      return (error as SyncRunLogError).message;
    }
    throw new Error(`accepted ${expression} in ${timeZone}`);
  };

  it.each([
    ['* * * *', /^cron expression '\* \* \* \*' has 4 fields; it needs 5: minute hour/],
    ['0 0 * * * *', /has 6 fields; it needs 5/],
    ['61 * * * *', /^invalid cron expression '61 \* \* \* \*': .*minute: 61/],
    ['*/0 * * * *', /illegal stepping/],
    ['0 0 30 2 *', /^cron expression '0 0 30 2 \*' never fires$/],
    // Quoted as the database quotes (quote_literal): a quote in the expression is doubled.
    ["0 0 1 1 'x'", /^invalid cron expression '0 0 1 1 ''x''': /],
    ['', /required/],
    ['@reboot', /not supported/],
  ])('cron %j', (expression, message) => {
    expect(refused(expression)).toMatch(message);
  });

  it('an unknown time zone', () => {
    expect(refused('0 2 * * *', 'Europe/Atlantis')).toBe(
      "unknown time zone 'Europe/Atlantis': use an IANA name such as Europe/Oslo",
    );
    expect(refused('0 2 * * *', '')).toMatch(/unknown time zone/);
  });

  it('accepts nicknames and names', () => {
    expect(parseScheduleCron('@daily', 'UTC').expression).toBe('@daily');
    expect(parseScheduleCron(' 0 6 * JAN-JUN MON-FRI ').expression).toBe('0 6 * JAN-JUN MON-FRI');
  });
});

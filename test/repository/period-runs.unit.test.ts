// Matching get_period_runs's columns to the periods of a ledger (ledgerOf), and the two instant helpers it stands
// on: toIsoInstant (toISOString, faster for whole minutes) and epochMicros (an ISO instant to the microsecond, for
// the drift).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PeriodRunColumns } from '../../supabase/functions/_shared/integrations.types.ts';
import { epochMicros, toIsoInstant } from '../../supabase/functions/_shared/iso-instant.ts';
import { ledgerOf } from '../../supabase/functions/_shared/schedule-periods.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const SCHEDULE = { integrationType: 'xledger', enabled: true, activeFrom: '2026-01-01T00:00:00Z' };
const periodRunsOf = (periods: Date[], runs: PeriodRunColumns) => ledgerOf(SCHEDULE, periods, runs, NOW);

const A = '7b0c4d4e-8f0a-4a43-9d55-0f5e0e7a1a11';
const B = '0c9f7a56-3a4e-4c1b-9a53-6f1f0e2d4b22';
const C = '5d2e8b11-77aa-4b0c-8e21-9c3d4e5f6a33';

function columns(runs: Array<{ key: string; at: string; id: string; startedAt: string }>, archived: string[] = []) {
  return {
    key: runs.map((r) => r.key),
    scheduledFor: runs.map((r) => Date.parse(r.at)),
    id: runs.map((r) => r.id),
    status: runs.map(() => 'completed'),
    startedAt: runs.map((r) => r.startedAt),
    endedAt: runs.map(() => null),
    recordsProcessed: runs.map(() => 3),
    recordsFailed: runs.map(() => 0),
    archivedIds: archived,
  } satisfies PeriodRunColumns;
}

describe('ledgerOf: the run of each period', () => {
  const periods = ['2026-12-01T08:00:00Z', '2026-12-01T08:15:00Z', '2026-12-01T08:30:00Z'].map((p) => new Date(p));

  it('gives each period the run with its key and its period, and nulls to the others', () => {
    const runs = columns([
      {
        key: 'xledger:2026-12-01T08:00:00.000Z',
        at: '2026-12-01T08:00:00Z',
        id: A,
        startedAt: '2026-12-01T08:00:04.25+00:00',
      },
      // The period's key, but another period: not this period's run.
      {
        key: 'xledger:2026-12-01T08:15:00.000Z',
        at: '2026-12-01T08:30:00Z',
        id: B,
        startedAt: '2026-12-01T08:30:01+00:00',
      },
      // Another integration's key for the period: not this one's.
      {
        key: 'dynamics:2026-12-01T08:30:00.000Z',
        at: '2026-12-01T08:30:00Z',
        id: C,
        startedAt: '2026-12-01T08:30:01+00:00',
      },
    ]);
    const ledger = periodRunsOf(periods, runs);
    expect(ledger.map((p) => [p.scheduledFor, p.runId, p.driftSeconds])).toEqual([
      ['2026-12-01T08:00:00.000Z', A, 4.25],
      ['2026-12-01T08:15:00.000Z', null, null],
      ['2026-12-01T08:30:00.000Z', null, null],
    ]);
    expect(ledger[0]).toEqual({
      scheduledFor: '2026-12-01T08:00:00.000Z',
      runId: A,
      status: 'completed',
      startedAt: '2026-12-01T08:00:04.25+00:00',
      endedAt: null,
      recordsProcessed: 3,
      recordsFailed: 0,
      driftSeconds: 4.25,
      archived: false,
      outcome: 'completed',
    });
    expect(ledger[1]).toEqual({
      scheduledFor: '2026-12-01T08:15:00.000Z',
      runId: null,
      status: null,
      startedAt: null,
      endedAt: null,
      recordsProcessed: null,
      recordsFailed: null,
      driftSeconds: null,
      archived: false,
      outcome: 'missed',
    });
  });

  it('marks archived runs, and a hot run wins over an archived one with the same key', () => {
    const key = 'xledger:2026-12-01T08:15:00.000Z';
    const runs = columns(
      [
        { key, at: '2026-12-01T08:15:00Z', id: A, startedAt: '2026-12-01T08:15:00+00:00' },
        { key, at: '2026-12-01T08:15:00Z', id: B, startedAt: '2026-12-01T08:15:09+00:00' },
        {
          key: 'xledger:2026-12-01T08:30:00.000Z',
          at: '2026-12-01T08:30:00Z',
          id: C,
          startedAt: '2026-12-01T08:31:00+00:00',
        },
      ],
      [B, C],
    );
    const ledger = periodRunsOf(periods, runs);
    expect(ledger.map((p) => [p.runId, p.archived, p.driftSeconds])).toEqual([
      [null, false, null],
      [A, false, 0],
      [C, true, 60],
    ]);
  });

  it("finds the period's run behind another run of the same period whose key is not the period's", () => {
    const runs = columns([
      {
        key: 'xledger:2026-12-01T08:00:00.000Z',
        at: '2026-12-01T08:15:00Z',
        id: A,
        startedAt: '2026-12-01T08:15:00+00:00',
      },
      {
        key: 'xledger:2026-12-01T09:15:00.000Z',
        at: '2026-12-01T08:15:00Z',
        id: B,
        startedAt: '2026-12-01T08:15:00+00:00',
      },
      {
        key: 'xledger:2026-12-01T08:15:00.000Z',
        at: '2026-12-01T08:15:00Z',
        id: C,
        startedAt: '2026-12-01T08:15:03+00:00',
      },
    ]);
    expect(periodRunsOf(periods, runs).map((p) => [p.runId, p.driftSeconds])).toEqual([
      [null, null],
      [C, 3],
      [null, null],
    ]);
  });

  it('prefers the hot run to an archived one with the same key, in whatever order they come', () => {
    const key = 'xledger:2026-12-01T08:15:00.000Z';
    const at = '2026-12-01T08:15:00Z';
    const archivedFirst = columns(
      [
        { key, at, id: B, startedAt: '2026-12-01T08:15:09+00:00' },
        { key: 'xledger:2026-12-01T08:45:00.000Z', at, id: C, startedAt: '2026-12-01T08:15:01+00:00' },
        { key, at, id: A, startedAt: '2026-12-01T08:15:02+00:00' },
      ],
      [B],
    );
    expect(periodRunsOf(periods, archivedFirst)[1]).toMatchObject({ runId: A, archived: false, driftSeconds: 2 });
    const onlyArchived = columns([{ key, at, id: B, startedAt: '2026-12-01T08:15:09+00:00' }], [B]);
    expect(periodRunsOf(periods, onlyArchived)[1]).toMatchObject({ runId: B, archived: true, driftSeconds: 9 });
  });

  it('the drift is exact to the microsecond, as PostgreSQL computed it before', () => {
    const startedAt = [
      '2026-12-01T08:00:12.345678+00:00',
      '2026-12-01T08:15:00.000001+00:00',
      '2026-12-01T08:36:40.1+00:00',
    ];
    const runs = columns(
      periods.map((p, i) => ({
        key: `xledger:${p.toISOString()}`,
        at: p.toISOString(),
        id: [A, B, C][i] as string,
        startedAt: startedAt[i] as string,
      })),
    );
    expect(periodRunsOf(periods, runs).map((p) => p.driftSeconds)).toEqual([12.345678, 0.000001, 400.1]);
  });
});

describe('toIsoInstant', () => {
  it('is toISOString for any instant, whole minutes or not', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.date({ noInvalidDate: true }),
          // Whole minutes between 1696 and 2243 (the fast path).
          fc.integer({ min: -144_000_000, max: 144_000_000 }).map((minutes) => new Date(minutes * 60_000)),
        ),
        (date) => {
          expect(toIsoInstant(date)).toBe(date.toISOString());
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('a day change, and instants on both sides of years 0 and 10000', () => {
    for (const iso of [
      '2026-12-31T23:59:00.000Z',
      '2027-01-01T00:00:00.000Z',
      '2026-12-31T23:45:00.000Z',
      '1969-12-31T23:59:00.000Z',
      '+010000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:00.000Z',
    ]) {
      expect(toIsoInstant(new Date(iso))).toBe(iso);
    }
  });
});

describe('epochMicros', () => {
  it('reads up to six fractional digits, and none', () => {
    const second = Date.parse('2026-12-01T08:00:12Z') * 1000;
    expect(epochMicros('2026-12-01T08:00:12+00:00')).toBe(second);
    expect(epochMicros('2026-12-01T08:00:12.5+00:00')).toBe(second + 500_000);
    expect(epochMicros('2026-12-01T08:00:12.345678+00:00')).toBe(second + 345_678);
    expect(epochMicros('2026-12-01T08:00:12.000001Z')).toBe(second + 1);
    expect(epochMicros('2026-12-01T09:00:12.25+01:00')).toBe(second + 250_000);
  });

  it('is the instant in microseconds for any instant written with six digits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800 }),
        fc.integer({ min: 0, max: 999_999 }),
        (seconds, micros) => {
          const iso = `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}+00:00`;
          expect(epochMicros(iso)).toBe(seconds * 1_000_000 + micros);
        },
      ),
    );
  });
});

// The pure parts under the integrations repository, and its calls through a mocked rpc port: period outcomes and
// the ledger's rules, the periods of a schedule (croner, time zones), keyset cursors, and the checks that keep
// credentials from ever reaching the database in a form it would refuse (and quote).
import { describe, expect, it, vi } from 'vitest';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import type { PeriodRun } from '../../supabase/functions/_shared/integrations.types.ts';
import { decodeCursor, encodeCursor, pageOf } from '../../supabase/functions/_shared/keyset-cursor.ts';
import type { RpcPort, RpcResult } from '../../supabase/functions/_shared/rpc-port.ts';
import {
  ledgerOf,
  nextPeriods,
  outcomeOf,
  schedulePeriods,
  spanPeriods,
} from '../../supabase/functions/_shared/schedule-periods.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
const RUN = '7b0c4d4e-8f0a-4a43-9d55-0f5e0e7a1a11';
const NOW = new Date('2026-12-01T12:00:00Z');

function period(overrides: Partial<PeriodRun> = {}): PeriodRun {
  return {
    scheduledFor: '2026-12-01T10:00:00.000Z',
    runId: RUN,
    status: 'completed',
    startedAt: '2026-12-01T10:00:05+00:00',
    endedAt: '2026-12-01T10:01:00+00:00',
    recordsProcessed: 10,
    recordsFailed: 0,
    driftSeconds: 5,
    archived: false,
    ...overrides,
  };
}

const noRun = (scheduledFor: string) =>
  period({
    scheduledFor,
    runId: null,
    status: null,
    startedAt: null,
    endedAt: null,
    recordsProcessed: null,
    recordsFailed: null,
    driftSeconds: null,
  });

describe('outcomeOf', () => {
  it.each([
    ['a completed run on time', period(), 'completed'],
    ['a completed run with failed records', period({ recordsFailed: 3 }), 'completed_with_failures'],
    ['a completed run 301 s late', period({ driftSeconds: 301 }), 'late'],
    ['a completed run exactly 300 s late', period({ driftSeconds: 300 }), 'completed'],
    ['a late run with failed records', period({ driftSeconds: 900, recordsFailed: 1 }), 'completed_with_failures'],
    ['a failed run', period({ status: 'failed' }), 'failed'],
    ['a failed late run', period({ status: 'failed', driftSeconds: 900 }), 'failed'],
    ['a cancelled run', period({ status: 'cancelled' }), 'cancelled'],
    ['a running run', period({ status: 'running', endedAt: null }), 'running'],
    ['a queued run', period({ status: 'pending', endedAt: null }), 'running'],
    ['no run, due 301 s ago', noRun('2026-12-01T11:54:59.000Z'), 'missed'],
    ['no run, due 300 s ago', noRun('2026-12-01T11:55:00.000Z'), 'upcoming'],
    ['no run, due now', noRun('2026-12-01T12:00:00.000Z'), 'upcoming'],
    ['no run, in the future', noRun('2026-12-01T12:15:00.000Z'), 'upcoming'],
  ])('%s is %s', (_, given, expected) => {
    expect(outcomeOf(given, NOW)).toBe(expected);
  });

  it('takes other thresholds', () => {
    expect(outcomeOf(period({ driftSeconds: 61 }), NOW, { lateAfterSeconds: 60 })).toBe('late');
    expect(outcomeOf(noRun('2026-12-01T11:58:00.000Z'), NOW, { missedAfterSeconds: 60 })).toBe('missed');
  });
});

describe('ledgerOf', () => {
  const periods = ['2026-12-01T09:00:00Z', '2026-12-01T09:30:00Z', '2026-12-01T10:00:00Z', '2026-12-01T12:30:00Z'].map(
    (p) => new Date(p),
  );
  const runs = {
    key: ['xledger:2026-12-01T09:30:00.000Z'],
    scheduledFor: [Date.parse('2026-12-01T09:30:00Z')],
    id: [RUN],
    status: ['completed' as const],
    startedAt: ['2026-12-01T09:30:05+00:00'],
    endedAt: ['2026-12-01T09:31:00+00:00'],
    recordsProcessed: [10],
    recordsFailed: [0],
    archivedIds: [],
  };
  const schedule = { integrationType: 'xledger' };

  it('lists the periods that were due and every period with a run, oldest first', () => {
    // Due: 10:00 and 12:30 (the schedule's history had them); 09:30 only has a run (it was disabled then).
    const ledger = ledgerOf(schedule, [periods[2] as Date, periods[3] as Date], runs, NOW);
    expect(ledger.map((p) => [p.scheduledFor, p.outcome])).toEqual([
      ['2026-12-01T09:30:00.000Z', 'completed'],
      ['2026-12-01T10:00:00.000Z', 'missed'],
      ['2026-12-01T12:30:00.000Z', 'upcoming'],
    ]);
  });

  it('nothing due (a schedule disabled all along): only the periods that ran', () => {
    const ledger = ledgerOf(schedule, [], runs, NOW);
    expect(ledger.map((p) => p.outcome)).toEqual(['completed']);
  });
});

describe('spanPeriods', () => {
  const span = (cronExpression: string, activeFrom: string, activeUntil: string | null) => ({
    cronExpression,
    timeZone: 'UTC',
    activeFrom,
    activeUntil,
  });
  const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

  it("each span's periods within its own stretch and the range: a change keeps what was due before it", () => {
    const periods = spanPeriods(
      [
        span('0 * * * *', '2026-12-01T00:00:00Z', '2026-12-01T02:20:00Z'), // hourly until 02:20
        span('*/30 * * * *', '2026-12-01T02:20:00Z', '2026-12-01T03:00:00Z'), // half-hourly, then disabled
        span('0 * * * *', '2026-12-01T04:10:00Z', null), // hourly again from 04:10
      ],
      new Date('2026-12-01T01:00:00Z'),
      new Date('2026-12-01T06:00:00Z'),
    );
    expect(iso(periods)).toEqual([
      '2026-12-01T01:00:00.000Z',
      '2026-12-01T02:00:00.000Z',
      '2026-12-01T02:30:00.000Z', // the period at a span's end (03:00) is not that span's; 04:00 was disabled
      '2026-12-01T05:00:00.000Z',
    ]);
  });

  it('refuses an empty range and more than the bound', () => {
    expect(() => spanPeriods([], new Date(0), new Date(0))).toThrow(/from must be before to/);
    expect(() =>
      spanPeriods(
        [span('* * * * *', '2026-01-01T00:00:00Z', null)],
        new Date('2026-12-01T00:00:00Z'),
        new Date('2026-12-02T00:00:00Z'),
      ),
    ).toThrow(/more than 1000 periods/);
  });
});

describe('schedulePeriods', () => {
  it('every period in [from, to), oldest first, the bounds included and excluded', () => {
    const periods = schedulePeriods(
      { cronExpression: '*/15 * * * *', timeZone: 'UTC' },
      new Date('2026-12-01T10:00:00Z'),
      new Date('2026-12-01T11:00:00Z'),
    );
    expect(periods.map((p) => p.toISOString())).toEqual([
      '2026-12-01T10:00:00.000Z',
      '2026-12-01T10:15:00.000Z',
      '2026-12-01T10:30:00.000Z',
      '2026-12-01T10:45:00.000Z',
    ]);
  });

  it("in the schedule's time zone, across the autumn DST change (Oslo: the repeated hour runs twice)", () => {
    const periods = schedulePeriods(
      { cronExpression: '30 * * * *', timeZone: 'Europe/Oslo' },
      new Date('2026-10-25T00:00:00Z'),
      new Date('2026-10-25T02:00:00Z'),
    );
    // 02:30 CEST (00:30Z) and 02:30 CET (01:30Z): two instants, two periods.
    expect(periods.map((p) => p.toISOString())).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
  });

  it('a daily job at a time the spring change skips runs at the first valid time after the gap', () => {
    const periods = schedulePeriods(
      { cronExpression: '30 2 * * *', timeZone: 'Europe/Oslo' },
      new Date('2026-03-28T12:00:00Z'),
      new Date('2026-03-30T12:00:00Z'),
    );
    expect(periods.map((p) => p.toISOString())).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('refuses an empty range, and a range of more than 1000 periods with a message saying so', () => {
    const schedule = { cronExpression: '* * * * *', timeZone: 'UTC' };
    const at = new Date('2026-12-01T00:00:00Z');
    expect(() => schedulePeriods(schedule, at, at)).toThrow(/from must be before to/);
    expect(schedulePeriods(schedule, at, new Date(at.getTime() + 1000 * 60_000))).toHaveLength(1000);
    expect(() => schedulePeriods(schedule, at, new Date(at.getTime() + 1001 * 60_000))).toThrow(
      /more than 1000 periods/,
    );
  });
});

describe('nextPeriods', () => {
  const schedule = {
    cronExpression: '*/15 * * * *',
    timeZone: 'UTC',
    enabled: true,
    activeFrom: '2026-01-01T00:00:00Z',
    lastScheduledFor: null as string | null,
  };

  it('the next three periods after now', () => {
    expect(nextPeriods(schedule, new Date('2026-12-01T10:07:00Z'))).toEqual([
      '2026-12-01T10:15:00.000Z',
      '2026-12-01T10:30:00.000Z',
      '2026-12-01T10:45:00.000Z',
    ]);
  });

  it('not before activeFrom, not at or before the newest started period; none when disabled', () => {
    expect(nextPeriods({ ...schedule, activeFrom: '2026-12-01T11:00:00Z' }, new Date('2026-12-01T10:07:00Z'))[0]).toBe(
      '2026-12-01T11:00:00.000Z',
    );
    expect(
      nextPeriods({ ...schedule, lastScheduledFor: '2026-12-01T10:15:00Z' }, new Date('2026-12-01T10:14:00Z'))[0],
    ).toBe('2026-12-01T10:30:00.000Z');
    expect(nextPeriods({ ...schedule, enabled: false }, new Date('2026-12-01T10:07:00Z'))).toEqual([]);
  });
});

describe('keyset cursors', () => {
  it('round-trip the database timestamp to the microsecond, URL-safe', () => {
    const position = { at: '2026-12-01T10:00:00.123456+00:00', id: RUN };
    const cursor = encodeCursor('runs', position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('runs', cursor)).toEqual(position);
  });

  it.each(['2026-12-01T10:00:00Z', '2026-12-01 10:00:00.5-15:59', '2026-12-01T10:00:00+0530'])(
    'take a timestamp at an offset PostgreSQL takes: %s',
    (at) => {
      expect(decodeCursor('alerts', encodeCursor('alerts', { at, id: RUN }))).toEqual({ at, id: RUN });
    },
  );

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['no id', encodeCursor('runs', { at: '2026-12-01T10:00:00Z', id: '' })],
    ['not a uuid', encodeCursor('runs', { at: '2026-12-01T10:00:00Z', id: 'x' })],
    ['not a timestamp', encodeCursor('runs', { at: "1'; drop table x; --", id: RUN })],
    // Offsets Date.parse takes and PostgreSQL refuses (22009): the cursor is refused before the database sees it.
    ['at +23:59', encodeCursor('runs', { at: '2026-01-01T00:00:00+23:59', id: RUN })],
    ['at +99:00', encodeCursor('runs', { at: '2026-01-01 00:00:00+99:00', id: RUN })],
    ['at +1900', encodeCursor('runs', { at: '2026-01-01T00:00:00+1900', id: RUN })],
    ['at +16', encodeCursor('runs', { at: '2026-01-01T00:00:00+16', id: RUN })],
    ['too long', 'a'.repeat(500)],
    // Made before cursors named their list (at|id): refused, not read as a list named by a timestamp.
    ['of no list', btoa(`2026-12-01T10:00:00Z|${RUN}`).replace(/=+$/, '')],
  ])('refuses a cursor that is %s (invalid_argument)', (_, cursor) => {
    expect(() => decodeCursor('runs', cursor)).toThrow(SyncRunLogError);
    try {
      decodeCursor('runs', cursor);
    } catch (error) {
      expect((error as SyncRunLogError).code).toBe('invalid_argument');
    }
  });

  it("refuses another list's cursor, saying so", () => {
    const alerts = encodeCursor('alerts', { at: '2026-12-01T10:00:00Z', id: RUN });
    expect(() => decodeCursor('runs', alerts)).toThrow(/not a nextCursor of runs/);
    expect(() => decodeCursor('alerts', encodeCursor('runs', { at: '2026-12-01T10:00:00Z', id: RUN }))).toThrow(
      /not a nextCursor of alerts/,
    );
  });

  it('a full page gets the cursor of its last item, a shorter one none', () => {
    const items = [{ at: '2026-12-01T10:00:00Z', id: RUN }];
    expect(pageOf('runs', items, 1, (i) => i).nextCursor).toBe(
      encodeCursor('runs', items[0] as { at: string; id: string }),
    );
    expect(pageOf('runs', items, 2, (i) => i).nextCursor).toBeNull();
  });
});

describe('IntegrationsRepository through a mocked port', () => {
  function mock(result: RpcResult) {
    const rpc = vi.fn<RpcPort['rpc']>(async () => result);
    return { rpc, repo: new IntegrationsRepository({ rpc }) };
  }

  it('upsertConnection sends the settings and credentials as objects and maps the row', async () => {
    const { rpc, repo } = mock({
      data: {
        id: RUN,
        org_id: ORG,
        integration_type: 'bufdir',
        settings: { region: 'no' },
        enabled: true,
        credentials_set_at: '2026-12-01T10:00:00+00:00',
        created_at: '2026-12-01T10:00:00+00:00',
        updated_at: '2026-12-01T10:00:00+00:00',
      },
      error: null,
    });
    const connection = await repo.upsertConnection({
      orgId: ORG,
      integrationType: 'bufdir',
      settings: { region: 'no' },
      credentials: { apiKey: 'k' },
    });
    expect(rpc).toHaveBeenCalledWith('upsert_sync_connection', {
      p_org_id: ORG,
      p_integration_type: 'bufdir',
      p_settings: { region: 'no' },
      p_credentials: { apiKey: 'k' },
      p_enabled: null,
    });
    expect(connection).toEqual({
      id: RUN,
      orgId: ORG,
      integrationType: 'bufdir',
      settings: { region: 'no' },
      enabled: true,
      credentialsSetAt: '2026-12-01T10:00:00+00:00',
      createdAt: '2026-12-01T10:00:00+00:00',
      updatedAt: '2026-12-01T10:00:00+00:00',
    });
  });

  it('getIntegrationsOverview asks for the known types only and keeps the rows in their order; none known, no call', async () => {
    const empty = { connection: null, schedule: null, health: null, last_run: null, open_alerts: 0 };
    const { rpc, repo } = mock({
      data: [
        { ...empty, integration_type: 'bufdir', open_alerts: 2 },
        { ...empty, integration_type: 'xledger' },
      ],
      error: null,
    });
    const overview = await repo.getIntegrationsOverview(ORG, { now: NOW, knownTypes: ['bufdir', 'xledger'] });
    expect(rpc).toHaveBeenCalledWith('get_integrations_overview', {
      p_org_id: ORG,
      p_integration_types: ['bufdir', 'xledger'],
    });
    const nothing = { connection: null, schedule: null, health: null, lastRun: null };
    expect(overview).toEqual([
      { ...nothing, integrationType: 'bufdir', openAlerts: 2 },
      { ...nothing, integrationType: 'xledger', openAlerts: 0 },
    ]);
    rpc.mockClear();
    expect(await repo.getIntegrationsOverview(ORG, { now: NOW, knownTypes: [] })).toEqual([]);
    expect(rpc).not.toHaveBeenCalled();
  });

  const marker = 'MARKER-credential-value';
  it.each([
    ['an array', [marker]],
    ['a string', marker],
    ['an empty object', {}],
    ['an object with a NUL', { apiKey: `${marker}\u0000` }],
    ['an object with a NUL in a key', { [`${marker}\u0000`]: 'x' }],
    ['an object with a lone surrogate', { apiKey: `${marker}\ud800` }],
    ['over 16 KB', { apiKey: marker.repeat(800) }],
    ['a class instance', new Date()],
  ])('refuses credentials that are %s before any call, without quoting them', async (_, credentials) => {
    const { rpc, repo } = mock({ data: null, error: null });
    const error = await repo
      .upsertConnection({ orgId: ORG, integrationType: 'bufdir', credentials: credentials as Record<string, unknown> })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncRunLogError);
    expect((error as SyncRunLogError).code).toBe('invalid_argument');
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(marker);
    expect(rpc).not.toHaveBeenCalled();
  });

  it('refuses an org id that is not a uuid before any call (the credentials would ride in a failing statement)', async () => {
    const { rpc, repo } = mock({ data: null, error: null });
    const error = await repo
      .upsertConnection({ orgId: 'not-a-uuid', integrationType: 'bufdir', credentials: { apiKey: marker } })
      .catch((e: unknown) => e);
    expect((error as SyncRunLogError).code).toBe('invalid_argument');
    expect(rpc).not.toHaveBeenCalled();
  });

  it('a database error about a connection (SR008, SR001 with its run) keeps its code and safe details', async () => {
    const notConfigured = mock({
      data: null,
      error: { code: 'SR008', message: 'xledger is not configured', details: null, hint: null },
    });
    const error = (await notConfigured.repo.queueManualRun(ORG, 'xledger').catch((e) => e)) as SyncRunLogError;
    expect([error.code, error.status]).toEqual(['not_configured', 409]);
    const busy = mock({ data: null, error: { code: 'SR001', message: 'queued', details: RUN, hint: null } });
    const running = (await busy.repo.queueManualRun(ORG, 'xledger').catch((e) => e)) as SyncRunLogError;
    expect([running.code, running.details]).toEqual(['already_running', { existingRunId: RUN }]);
  });

  it('acknowledgeAlert names the failures seen only when given; SR009 is alert_changed with the count now', async () => {
    const { rpc, repo } = mock({ data: null, error: { code: 'SR009', message: 'changed', details: '4', hint: null } });
    const error = (await repo.acknowledgeAlert(ORG, RUN, null, 3).catch((e) => e)) as SyncRunLogError;
    expect([error.code, error.status, error.details]).toEqual(['alert_changed', 409, { failedCount: 4 }]);
    expect(rpc).toHaveBeenLastCalledWith('acknowledge_sync_alert', {
      p_org_id: ORG,
      p_alert_id: RUN,
      p_acknowledged_by: null,
      p_seen_failed_count: 3,
    });
    // Without a count, the call a database before 20261202013000 answers too: no fourth argument at all.
    await repo.acknowledgeAlert(ORG, RUN, null).catch(() => null);
    expect(rpc).toHaveBeenLastCalledWith('acknowledge_sync_alert', {
      p_org_id: ORG,
      p_alert_id: RUN,
      p_acknowledged_by: null,
    });
    // A DETAIL that is not a count gives no details rather than a wrong one.
    const odd = mock({ data: null, error: { code: 'SR009', message: 'changed', details: null, hint: null } });
    const bare = (await odd.repo.acknowledgeAlert(ORG, RUN, null, 3).catch((e) => e)) as SyncRunLogError;
    expect([bare.code, bare.details]).toEqual(['alert_changed', {}]);
  });

  const SCHEDULE_ROW = {
    id: '22222222-2222-4222-8222-222222222222',
    org_id: ORG,
    integration_type: 'xledger',
    cron_expression: '*/15 * * * *',
    time_zone: 'UTC',
    enabled: true,
    run_timeout_seconds: 1800,
    active_from: '2026-01-01T00:00:00+00:00',
    last_scheduled_for: null,
    created_at: '2026-01-01T00:00:00+00:00',
    updated_at: '2026-01-01T00:00:00+00:00',
  };
  const SPAN = {
    cronExpression: '*/15 * * * *',
    timeZone: 'UTC',
    activeFrom: '2026-12-01T00:00:00Z',
    activeUntil: null,
  };
  const NO_RUNS = {
    key: [],
    scheduledFor: [],
    id: [],
    status: [],
    startedAt: [],
    endedAt: [],
    recordsProcessed: [],
    recordsFailed: [],
    archivedIds: [],
  };

  it('getPeriodLedger refuses an empty range before any call, and more than 1000 periods of the schedule', async () => {
    const empty = mock({ data: null, error: null });
    const at = new Date('2026-12-01T09:00:00Z');
    const error = await empty.repo.getPeriodLedger(ORG, 'xledger', at, at, { now: NOW }).catch((e: unknown) => e);
    expect((error as SyncRunLogError).code).toBe('invalid_argument');
    expect(empty.rpc).not.toHaveBeenCalled();

    // The bound is the schedule's periods in the range, whatever part of it the schedule was in force.
    const wide = mock({ data: { schedule: SCHEDULE_ROW, spans: [SPAN], runs: NO_RUNS }, error: null });
    const from = new Date('2026-01-01T00:00:00Z');
    const tooMany = await wide.repo
      .getPeriodLedger(ORG, 'xledger', from, new Date(from.getTime() + 1001 * 15 * 60_000), { now: NOW })
      .catch((e: unknown) => e);
    expect((tooMany as SyncRunLogError).code).toBe('invalid_argument');
    expect((tooMany as SyncRunLogError).message).toMatch(/more than 1000 periods/);
  });

  it("getPeriodLedger asks get_period_runs for the range and matches its runs to the schedule's periods", async () => {
    const { rpc, repo } = mock({
      data: {
        schedule: SCHEDULE_ROW,
        spans: [SPAN],
        runs: {
          ...NO_RUNS,
          key: ['xledger:2026-12-01T09:15:00.000Z'],
          scheduledFor: [Date.parse('2026-12-01T09:15:00Z')],
          id: [RUN],
          status: ['failed'],
          startedAt: ['2026-12-01T09:15:02.5+00:00'],
          endedAt: ['2026-12-01T09:16:00+00:00'],
          recordsProcessed: [7],
          recordsFailed: [0],
        },
      },
      error: null,
    });
    const ledger = await repo.getPeriodLedger(
      ORG,
      'xledger',
      new Date('2026-12-01T09:01:00Z'),
      new Date('2026-12-01T09:31:00Z'),
      { now: NOW },
    );
    expect(rpc).toHaveBeenCalledWith('get_period_runs', {
      p_org_id: ORG,
      p_integration_type: 'xledger',
      p_from: '2026-12-01T09:01:00.000Z',
      p_to: '2026-12-01T09:31:00.000Z',
    });
    expect(ledger?.schedule.cronExpression).toBe('*/15 * * * *');
    expect(ledger?.periods.map((p) => [p.scheduledFor, p.outcome, p.runId, p.driftSeconds])).toEqual([
      ['2026-12-01T09:15:00.000Z', 'failed', RUN, 2.5],
      ['2026-12-01T09:30:00.000Z', 'missed', null, null],
    ]);
  });

  it('getPeriodLedger is null when the caller sees no schedule', async () => {
    const { repo } = mock({ data: null, error: null });
    const from = new Date('2026-12-01T09:00:00Z');
    expect(await repo.getPeriodLedger(ORG, 'xledger', from, new Date('2026-12-01T10:00:00Z'), { now: NOW })).toBeNull();
  });
});

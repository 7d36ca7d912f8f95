// SyncRunLogRepository with a mocked Supabase-shaped rpc port: the calls it makes, the rows it maps, the errors
// it raises. (The same behaviours against the real database: run-log.repository.db.test.ts.)
import { describe, expect, it, vi } from 'vitest';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import type { RpcError, RpcPort, RpcResult } from '../../supabase/functions/_shared/rpc-port.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
import type { SyncRunLogRow } from '../../supabase/functions/_shared/run-log.types.ts';

const ORG = '11111111-1111-4111-8111-111111111111';
const RUN_ID = '7b0c4d4e-8f0a-4a43-9d55-0f5e0e7a1a11';

function row(overrides: Partial<SyncRunLogRow> = {}): SyncRunLogRow {
  return {
    id: RUN_ID,
    org_id: ORG,
    integration_type: 'xledger',
    started_at: '2026-11-28T10:00:00+00:00',
    ended_at: null,
    status: 'running',
    records_processed: 0,
    records_failed: 0,
    error_message: null,
    triggered_by: 'manual',
    scheduled_for: null,
    idempotency_key: null,
    heartbeat_at: '2026-11-28T10:00:00+00:00',
    duration_seconds: null,
    ...overrides,
  };
}

/** A mocked supabase-js client: `rpc` resolves to what the test says. */
function mockClient(result: RpcResult | (() => Promise<RpcResult>)) {
  const rpc = vi.fn<RpcPort['rpc']>(async () => (typeof result === 'function' ? result() : result));
  return { rpc, repo: new SyncRunLogRepository({ rpc }) };
}

const dbError = (code: string, message = 'db said no', details: string | null = null): RpcResult => ({
  data: null,
  error: { code, message, details, hint: null } satisfies RpcError,
});

async function caught(promise: Promise<unknown>): Promise<SyncRunLogError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncRunLogError);
  return error as SyncRunLogError;
}

describe('insertRunLog', () => {
  it('calls insert_run_log with every argument and returns the id', async () => {
    const { rpc, repo } = mockClient({ data: RUN_ID, error: null });
    await expect(repo.insertRunLog(ORG, 'xledger', 'manual')).resolves.toBe(RUN_ID);
    expect(rpc).toHaveBeenCalledWith('insert_run_log', {
      p_org_id: ORG,
      p_integration_type: 'xledger',
      p_triggered_by: 'manual',
      p_scheduled_for: null,
      p_idempotency_key: null,
    });
  });

  it('passes the period (Date or string) and the idempotency key of a scheduler run', async () => {
    const { rpc, repo } = mockClient({ data: RUN_ID, error: null });
    await repo.insertRunLog(ORG, 'bufdir', 'scheduler', {
      scheduledFor: new Date('2026-11-28T02:00:00Z'),
      idempotencyKey: 'bufdir:2026-11-28T02:00:00.000Z',
    });
    expect(rpc).toHaveBeenLastCalledWith(
      'insert_run_log',
      expect.objectContaining({
        p_scheduled_for: '2026-11-28T02:00:00.000Z',
        p_idempotency_key: 'bufdir:2026-11-28T02:00:00.000Z',
      }),
    );
    await repo.insertRunLog(ORG, 'bufdir', 'scheduler', { scheduledFor: '2026-11-29T02:00:00Z' });
    expect(rpc).toHaveBeenLastCalledWith(
      'insert_run_log',
      expect.objectContaining({ p_scheduled_for: '2026-11-29T02:00:00Z' }),
    );
  });

  it('no id back is an internal error', async () => {
    const { repo } = mockClient({ data: null, error: null });
    expect((await caught(repo.insertRunLog(ORG, 'xledger', 'manual'))).code).toBe('internal');
  });
});

describe('updateRunLogStatus', () => {
  it.each(['running', 'completed', 'failed', 'cancelled'] as const)(
    'sends status %s and maps the row',
    async (status) => {
      const final = status !== 'running';
      const { rpc, repo } = mockClient({
        data: row({
          status,
          records_processed: 5,
          records_failed: 1,
          ended_at: final ? '2026-11-28T10:00:30+00:00' : null,
          duration_seconds: final ? '30.5' : null,
        }),
        error: null,
      });
      const run = await repo.updateRunLogStatus(RUN_ID, status, 5, 1, null);
      expect(rpc).toHaveBeenCalledWith('update_run_log_status', {
        p_run_id: RUN_ID,
        p_status: status,
        p_records_processed: 5,
        p_records_failed: 1,
        p_error_message: null,
      });
      expect(run).toMatchObject({ id: RUN_ID, status, recordsProcessed: 5, recordsFailed: 1 });
      expect(run.durationSeconds).toBe(final ? 30.5 : null);
    },
  );

  it('a null errorMessage is sent as null (clears the stored one); null counters keep the current ones', async () => {
    const { rpc, repo } = mockClient({ data: row(), error: null });
    await repo.updateRunLogStatus(RUN_ID, 'running', null, null, null);
    expect(rpc.mock.calls[0]?.[1]).toMatchObject({
      p_records_processed: null,
      p_records_failed: null,
      p_error_message: null,
    });
  });

  it('an errorMessage is sanitised before it is sent', async () => {
    const { rpc, repo } = mockClient({ data: row({ status: 'failed' }), error: null });
    await repo.updateRunLogStatus(
      RUN_ID,
      'failed',
      0,
      0,
      `token=abc123SECRET\n    at x (/a.js:1:2)\n${'y'.repeat(3000)}`,
    );
    const sent = rpc.mock.calls[0]?.[1]?.p_error_message as string;
    expect(sent).not.toContain('abc123SECRET');
    expect(sent).not.toContain('/a.js');
    expect(sent.length).toBeLessThanOrEqual(2000);
  });
});

describe('reads', () => {
  it('getLastRunPerIntegration passes the org and maps every row to camelCase', async () => {
    const rows = [
      row({ integration_type: 'dynamics' }),
      row({ integration_type: 'xledger', status: 'completed', duration_seconds: 12 }),
    ];
    const { rpc, repo } = mockClient({ data: rows, error: null });
    const runs = await repo.getLastRunPerIntegration(ORG);
    expect(rpc).toHaveBeenCalledWith('get_last_run_per_integration', { p_org_id: ORG });
    expect(runs).toEqual([
      {
        id: RUN_ID,
        orgId: ORG,
        integrationType: 'dynamics',
        startedAt: '2026-11-28T10:00:00+00:00',
        endedAt: null,
        status: 'running',
        recordsProcessed: 0,
        recordsFailed: 0,
        errorMessage: null,
        triggeredBy: 'manual',
        scheduledFor: null,
        idempotencyKey: null,
        heartbeatAt: '2026-11-28T10:00:00+00:00',
        durationSeconds: null,
      },
      expect.objectContaining({ integrationType: 'xledger', status: 'completed', durationSeconds: 12 }),
    ]);
  });

  it('getRunHistory passes org, integration and limit', async () => {
    const { rpc, repo } = mockClient({ data: [row(), row()], error: null });
    await expect(repo.getRunHistory(ORG, 'xledger', 2)).resolves.toHaveLength(2);
    expect(rpc).toHaveBeenCalledWith('get_run_history', { p_org_id: ORG, p_integration_type: 'xledger', p_limit: 2 });
  });

  it('getRun returns the run, or null when no row comes back', async () => {
    const found = mockClient({ data: [row()], error: null });
    await expect(found.repo.getRun(RUN_ID)).resolves.toMatchObject({ id: RUN_ID });
    expect(found.rpc).toHaveBeenCalledWith('get_run', { p_run_id: RUN_ID });
    await expect(mockClient({ data: [], error: null }).repo.getRun(RUN_ID)).resolves.toBeNull();
  });
});

describe('database errors become typed errors', () => {
  it.each([
    ['SR001', 'already_running', 409],
    ['SR003', 'not_found', 404],
    ['SR005', 'invalid_argument', 400],
    ['SR006', 'invalid_transition', 409],
    ['23514', 'invalid_argument', 400],
    ['22P02', 'invalid_argument', 400],
    ['22009', 'invalid_argument', 400], // a time zone offset out of range
    ['42501', 'internal', 500],
    ['PGRST202', 'internal', 500],
    ['08006', 'unavailable', 503],
  ])('%s -> %s (%i)', async (sqlstate, code, status) => {
    const { repo } = mockClient(dbError(sqlstate, 'relation "secret_table" permission denied'));
    const error = await caught(repo.getLastRunPerIntegration(ORG));
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    if (code === 'internal') expect(error.message).not.toContain('secret_table');
  });

  it('SR002 duplicate period carries the existing run id', async () => {
    const { repo } = mockClient(dbError('SR002', 'dup', RUN_ID));
    const error = await caught(repo.insertRunLog(ORG, 'x1', 'scheduler', { idempotencyKey: 'k' }));
    expect(error.code).toBe('duplicate_period');
    expect(error.details).toEqual({ existingRunId: RUN_ID });
  });

  it('SR007 period superseded (a newer period of the schedule started) is a 409 with the newest period', async () => {
    const { repo } = mockClient(dbError('SR007', 'period superseded', '2026-11-28T06:00:00+00:00'));
    const error = await caught(repo.insertRunLog(ORG, 'x1', 'scheduler', { idempotencyKey: 'k' }));
    expect(error.code).toBe('period_superseded');
    expect(error.status).toBe(409);
    expect(error.details).toEqual({ newestPeriod: '2026-11-28T06:00:00+00:00' });
  });

  it('a known CHECK violation gets its own message; an unknown one only "invalid argument"', async () => {
    const known = mockClient(
      dbError(
        '23514',
        'new row for relation "sync_run_log" violates check constraint "sync_run_log_manual_key_not_a_period"',
      ),
    );
    const error = await caught(
      known.repo.insertRunLog(ORG, 'x1', 'manual', { idempotencyKey: 'x1:2026-11-28T06:00:00Z' }),
    );
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/manual run cannot use a scheduled period key/);
    const unknown = mockClient(dbError('23514', 'new row violates check constraint "some_internal_rule"'));
    expect((await caught(unknown.repo.insertRunLog(ORG, 'x1', 'manual'))).message).toBe('invalid argument');
  });

  it('SR004 not running carries the current status', async () => {
    const { repo } = mockClient(dbError('SR004', 'not running', 'completed'));
    const error = await caught(repo.updateRunLogStatus(RUN_ID, 'cancelled', null, null, null));
    expect(error.code).toBe('not_running');
    expect(error.details).toEqual({ status: 'completed' });
  });

  it('a port that throws (network) is unavailable, never the raw error', async () => {
    const { repo } = mockClient(async () => {
      throw new Error('ECONNREFUSED 10.0.0.1:5432 password=x');
    });
    const error = await caught(repo.getRunHistory(ORG, 'xledger', 5));
    expect(error.code).toBe('unavailable');
    expect(error.message).not.toContain('ECONNREFUSED');
  });

  it.each([
    ['', "supabase-js's failed fetch (no code)"],
    ['57P01', 'server shutting down'],
    ['57P03', 'server starting up'],
    ['53300', 'too many connections'],
  ])(
    'a database that cannot serve now (%s, %s) is unavailable, its text hidden, its code kept for the log',
    async (code) => {
      const { repo } = mockClient(dbError(code, 'FATAL: terminating connection at 10.0.0.1'));
      const error = await caught(repo.getLastRunPerIntegration(ORG));
      expect(error.code).toBe('unavailable');
      expect(error.message).not.toContain('10.0.0.1');
      expect(error.details).toEqual(code ? { databaseCode: code } : {});
    },
  );
});

// SyncRunLogRepository against the real database through the SQL adapter (createSqlRpc): the same behaviours as the
// mocked unit tests, with PostgreSQL deciding, as the service role and as users of two orgs under RLS.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { createTestDatabase, SERVICE, type TestDatabase, userClaims } from '../helpers/db.ts';

let db: TestDatabase;
let service: SyncRunLogRepository;
const orgA = randomUUID();
const orgB = randomUUID();
const asUser = (org: string, role = 'coordinator') =>
  new SyncRunLogRepository(createSqlRpc(db.sql, { role: 'authenticated', claims: userClaims(org, role) }));

beforeAll(async () => {
  db = await createTestDatabase();
  service = new SyncRunLogRepository(createSqlRpc(db.sql, SERVICE));
});
afterAll(async () => db?.drop());

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

describe('writes as the service role', () => {
  it('insertRunLog returns the id of a running run', async () => {
    const id = await service.insertRunLog(orgA, 'xledger', 'manual');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const [row] =
      await db.sql`select status, triggered_by, started_at = heartbeat_at as same from public.sync_run_log where id = ${id}`;
    expect(row).toEqual({ status: 'running', triggered_by: 'manual', same: true });
  });

  it('a scheduler run keeps its period and key', async () => {
    const id = await service.insertRunLog(orgA, 'bufdir', 'scheduler', {
      scheduledFor: new Date('2026-11-28T02:00:00Z'),
      idempotencyKey: 'bufdir:2026-11-28T02:00:00.000Z',
    });
    const run = await service.getRun(id);
    expect(run).toMatchObject({ triggeredBy: 'scheduler', idempotencyKey: 'bufdir:2026-11-28T02:00:00.000Z' });
    expect(new Date(run?.scheduledFor as string).toISOString()).toBe('2026-11-28T02:00:00.000Z');
  });

  it.each(['completed', 'failed', 'cancelled'] as const)('updateRunLogStatus to %s ends the run', async (status) => {
    const id = await service.insertRunLog(orgA, `final_${status}`, 'manual');
    const progress = await service.updateRunLogStatus(id, 'running', 7, 1, 'slow page');
    expect(progress).toMatchObject({
      status: 'running',
      recordsProcessed: 7,
      recordsFailed: 1,
      errorMessage: 'slow page',
      endedAt: null,
    });
    const run = await service.updateRunLogStatus(id, status, 10, 2, null);
    expect(run).toMatchObject({ id, status, recordsProcessed: 10, recordsFailed: 2, errorMessage: null });
    expect(run.endedAt).not.toBeNull();
    expect(typeof run.durationSeconds).toBe('number');
  });

  it('a null errorMessage clears the stored one; null counters keep theirs', async () => {
    const id = await service.insertRunLog(orgA, 'clears', 'manual');
    await service.updateRunLogStatus(id, 'running', 3, 1, 'transient');
    const run = await service.updateRunLogStatus(id, 'running', null, null, null);
    expect(run).toMatchObject({ errorMessage: null, recordsProcessed: 3, recordsFailed: 1 });
  });

  it('stores the sanitised error message', async () => {
    const id = await service.insertRunLog(orgA, 'sanitised', 'manual');
    const run = await service.updateRunLogStatus(
      id,
      'failed',
      0,
      0,
      `Authorization: Bearer abc.def\u0000${'z'.repeat(5000)}`,
    );
    expect(run.errorMessage).not.toContain('abc.def');
    expect(run.errorMessage?.length).toBeLessThanOrEqual(2000);
  });
});

describe('reads', () => {
  it('getLastRunPerIntegration: one newest run per integration, ordered', async () => {
    const runs = await service.getLastRunPerIntegration(orgA);
    const types = runs.map((r) => r.integrationType);
    expect(types).toEqual([...types].sort());
    expect(new Set(types).size).toBe(types.length);
    expect(runs.every((r) => r.orgId === orgA)).toBe(true);
  });

  it('getRunHistory: newest first, limited', async () => {
    for (let i = 0; i < 3; i++) {
      const id = await service.insertRunLog(orgA, 'history', 'manual');
      await service.updateRunLogStatus(id, 'completed', i, 0, null);
    }
    const two = await service.getRunHistory(orgA, 'history', 2);
    expect(two.map((r) => r.recordsProcessed)).toEqual([2, 1]);
    expect(await service.getRunHistory(orgA, 'history', 1000)).toHaveLength(3);
  });

  it('users read their own org under RLS, never another', async () => {
    const idB = await service.insertRunLog(orgB, 'xledger', 'manual');
    const a = asUser(orgA);
    expect((await a.getLastRunPerIntegration(orgA)).length).toBeGreaterThan(0);
    expect(await a.getLastRunPerIntegration(orgB)).toEqual([]);
    expect(await a.getRunHistory(orgB, 'xledger', 10)).toEqual([]);
    expect(await a.getRun(idB)).toBeNull();
    expect(await asUser(orgB, 'admin').getRun(idB)).toMatchObject({ id: idB, orgId: orgB });
    expect(await asUser(orgB, 'volunteer').getRun(idB)).toBeNull();
  });
});

describe('database errors become typed errors', () => {
  it('already_running (SR001)', async () => {
    await service.insertRunLog(orgA, 'twice', 'manual');
    expect((await caught(service.insertRunLog(orgA, 'twice', 'manual'))).code).toBe('already_running');
  });

  it('duplicate_period (SR002) with the existing run id', async () => {
    const key = 'dup:2026-11-28T03:00:00.000Z';
    const first = await service.insertRunLog(orgA, 'dup', 'scheduler', {
      scheduledFor: '2026-11-28T03:00:00Z',
      idempotencyKey: key,
    });
    await service.updateRunLogStatus(first, 'completed', 0, 0, null);
    const error = await caught(
      service.insertRunLog(orgA, 'dup', 'scheduler', { scheduledFor: '2026-11-28T03:00:00Z', idempotencyKey: key }),
    );
    expect(error.code).toBe('duplicate_period');
    expect(error.details).toEqual({ existingRunId: first });
  });

  it('not_found (SR003), not_running (SR004)', async () => {
    expect((await caught(service.updateRunLogStatus(randomUUID(), 'completed', 0, 0, null))).code).toBe('not_found');
    const id = await service.insertRunLog(orgA, 'done', 'manual');
    await service.updateRunLogStatus(id, 'completed', 0, 0, null);
    const error = await caught(service.updateRunLogStatus(id, 'failed', 0, 0, null));
    expect(error.code).toBe('not_running');
    expect(error.details).toEqual({ status: 'completed' });
  });

  it('invalid_argument (SR005): bad integration type, manual with a period, limit out of range, negative counts', async () => {
    expect((await caught(service.insertRunLog(orgA, 'Bad!', 'manual'))).code).toBe('invalid_argument');
    expect((await caught(service.insertRunLog(orgA, 'x1', 'manual', { scheduledFor: new Date() }))).code).toBe(
      'invalid_argument',
    );
    expect((await caught(service.getRunHistory(orgA, 'xledger', 0))).code).toBe('invalid_argument');
    const id = await service.insertRunLog(orgA, 'negative', 'manual');
    expect((await caught(service.updateRunLogStatus(id, 'running', -1, 0, null))).code).toBe('invalid_argument');
  });

  it('invalid_transition (SR006): a pending run cannot jump to completed (the trigger decides)', async () => {
    const [row] =
      await db.sql`insert into public.sync_run_log (org_id, integration_type, status, started_at, triggered_by)
      values (${orgA}, 'pending_run', 'pending', now(), 'manual') returning id`;
    const error = await caught(service.updateRunLogStatus(row?.id, 'completed', 0, 0, null));
    expect(error.code).toBe('invalid_transition');
    expect((await service.updateRunLogStatus(row?.id, 'running', 1, 0, null)).status).toBe('running');
  });

  it('a malformed uuid is invalid_argument (22P02), a user calling a write RPC is internal (no grant)', async () => {
    expect((await caught(service.getRun('not-a-uuid'))).code).toBe('invalid_argument');
    const error = await caught(asUser(orgA).insertRunLog(orgA, 'sneaky', 'manual'));
    expect(error.code).toBe('internal');
    expect(error.message).not.toMatch(/permission|insert_run_log/);
  });

  it('an unreachable database is a typed error, never the driver error', async () => {
    const postgres = (await import('postgres')).default;
    const dead = postgres('postgres://nobody:pw@127.0.0.1:9/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      const error = await caught(new SyncRunLogRepository(createSqlRpc(dead, SERVICE)).getLastRunPerIntegration(orgA));
      expect(error.code).toBe('unavailable');
      expect(error.message).not.toContain('127.0.0.1');
    } finally {
      await dead.end({ timeout: 1 });
    }
  });
});

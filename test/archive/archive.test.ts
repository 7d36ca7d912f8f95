// The archival moves exactly what it promises: final runs older than the retention, never the newest run of an
// (org, integration), in batches of the given size, oldest first, and nothing more when run again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveOptionsFromEnv } from '../../supabase/functions/_shared/archive/archive-config.ts';
import { archiveIfDue, isArchiveDue } from '../../supabase/functions/_shared/archive/archive-due.ts';
import { archiveOldRuns, getArchivalStatus } from '../../supabase/functions/_shared/archive/run-log-archive.ts';
import type { RpcPort } from '../../supabase/functions/_shared/rpc-port.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { asRole, createTestDatabase, SERVICE, sqlstate, type TestDatabase } from '../helpers/db.ts';
import { archivedIds, hotIds, ORG_A, ORG_B, seedRuns, seedSeries } from './seed.ts';

let db: TestDatabase;
let rpc: RpcPort;
beforeEach(async () => {
  db = await createTestDatabase();
  rpc = createSqlRpc(db.sql, SERVICE);
});
afterEach(async () => {
  await db.drop();
});

async function archiveBatch(retention: string, batchSize: number): Promise<number> {
  const [row] = await asRole(
    db.sql,
    SERVICE,
    (tx) => tx`select public.archive_run_log_batch(${retention}::interval, ${batchSize}) as n`,
  );
  return Number(row?.n);
}

describe('what moves', () => {
  it('moves only final runs older than the retention, with every column as it was', async () => {
    // One queued-or-running run per (org, integration) at most: the old pending one is Dynamics', which ran since.
    const [oldCompleted, oldFailed, oldCancelled, oldRunning, oldPending, young, newest, newestDynamics] =
      await seedRuns(db.sql, [
        { daysAgo: 120, status: 'completed' },
        { daysAgo: 100, status: 'failed', errorMessage: 'Xledger answered 503' },
        { daysAgo: 95, status: 'cancelled' },
        { daysAgo: 200, status: 'running' },
        { integrationType: 'dynamics', daysAgo: 150, status: 'pending' },
        { daysAgo: 89, status: 'completed' },
        { daysAgo: 1, status: 'completed' },
        { integrationType: 'dynamics', daysAgo: 1, status: 'completed' },
      ]);
    const before =
      await db.sql`select * from public.sync_run_log where id in ${db.sql([oldCompleted, oldFailed, oldCancelled] as string[])} order by id`;

    const result = await archiveOldRuns(rpc, { retentionDays: 90 });

    expect(result.rowsMoved).toBe(3);
    expect(await archivedIds(db.sql)).toEqual(new Set([oldCompleted, oldFailed, oldCancelled]));
    expect(await hotIds(db.sql)).toEqual(new Set([oldRunning, oldPending, young, newest, newestDynamics]));
    const after = await db.sql`select * from public.sync_run_log_archive order by id`;
    expect(after).toEqual(before);
    expect(after.find((r) => r.id === oldFailed)?.error_message).toBe('Xledger answered 503');
    expect(Number(after[0]?.duration_seconds)).toBe(90);
  });

  it('keeps the newest run of every (org, integration) in the hot table, however old', async () => {
    const [a300, a200] = await seedRuns(db.sql, [
      { orgId: ORG_A, integrationType: 'dynamics', daysAgo: 300 },
      { orgId: ORG_A, integrationType: 'dynamics', daysAgo: 200 },
    ]);
    const [b500] = await seedRuns(db.sql, [{ orgId: ORG_B, integrationType: 'xledger', daysAgo: 500 }]);
    const [olderThanRunning, running] = await seedRuns(db.sql, [
      { orgId: ORG_B, integrationType: 'bufdir', daysAgo: 400 },
      { orgId: ORG_B, integrationType: 'bufdir', daysAgo: 399, status: 'running' },
    ]);

    expect((await archiveOldRuns(rpc)).rowsMoved).toBe(2);
    expect(await archivedIds(db.sql)).toEqual(new Set([a300, olderThanRunning]));
    expect(await hotIds(db.sql)).toEqual(new Set([a200, b500, running]));
  });

  it('breaks a tie on started_at by id, so exactly one of two equally old runs stays', async () => {
    await db.sql`
      insert into public.sync_run_log (org_id, integration_type, started_at, ended_at, status, triggered_by)
      select ${ORG_A}, 'xledger', t, t, 'completed', 'manual'
      from (select now() - interval '200 days' as t) s, generate_series(1, 2)`;
    expect(await archiveBatch('90 days', 10)).toBe(1);
    expect((await hotIds(db.sql)).size).toBe(1);
  });

  it('is idempotent: a second pass moves nothing and changes nothing', async () => {
    await seedSeries(db.sql, ORG_A, 'xledger', 30, 150);
    await seedSeries(db.sql, ORG_B, 'xledger', 30, 150);
    const first = await archiveOldRuns(rpc);
    // 150..121 days ago: all old; the newest of each org stays.
    expect(first.rowsMoved).toBe(58);
    const hot = await hotIds(db.sql);
    const archived = await archivedIds(db.sql);

    const second = await archiveOldRuns(rpc);
    expect(second.rowsMoved).toBe(0);
    expect(await hotIds(db.sql)).toEqual(hot);
    expect(await archivedIds(db.sql)).toEqual(archived);
  });

  it('moves at most the batch size per batch, oldest first', async () => {
    await seedSeries(db.sql, ORG_A, 'xledger', 26, 300); // 300..275 days ago: 25 movable, the newest stays
    const moved: number[] = [];
    for (let n = await archiveBatch('90 days', 10); ; n = await archiveBatch('90 days', 10)) {
      moved.push(n);
      const oldestLeft = await db.sql`select min(started_at) as t from public.sync_run_log`;
      const newestArchived = await db.sql`select max(started_at) as t from public.sync_run_log_archive`;
      if (n > 0) expect(newestArchived[0]?.t < oldestLeft[0]?.t).toBe(true);
      if (n === 0) break;
    }
    expect(moved).toEqual([10, 10, 5, 0]);

    await seedSeries(db.sql, ORG_B, 'xledger', 26, 300);
    const limited = await archiveOldRuns(rpc, { batchSize: 10, maxBatches: 2 });
    expect(limited).toMatchObject({ rowsMoved: 20, batches: 2, complete: false });
    const rest = await archiveOldRuns(rpc, { batchSize: 10 });
    expect(rest).toMatchObject({ rowsMoved: 5, batches: 1, complete: true });
  });
});

describe('the three ways to run it', () => {
  it("the function form and the pg_cron job's do block (a commit after every batch) move the same and record their pass", async () => {
    await seedSeries(db.sql, ORG_A, 'xledger', 11, 200);
    const [fn] = await asRole(db.sql, SERVICE, (tx) => tx`select public.archive_run_log('90 days', 3, 'manual') as n`);
    expect(Number(fn?.n)).toBe(10);

    await seedSeries(db.sql, ORG_B, 'xledger', 8, 200);
    const [job] = await db.sql<{ command: string }[]>`
      select sync_private.archive_run_log_job_command('90 days', 3, 'manual') as command`;
    const command = job?.command as string;
    // Inside a transaction block the block's COMMIT is refused, and nothing moves or is recorded.
    expect(await sqlstate(asRole(db.sql, SERVICE, (tx) => tx.unsafe(command)))).toBe('2D000');
    const conn = await db.sql.reserve();
    try {
      await conn`set role service_role`;
      await conn.unsafe(command); // one statement of its own, as pg_cron sends it
      await conn`reset role`;
    } finally {
      conn.release();
    }
    expect((await archivedIds(db.sql)).size).toBe(17);
    const passes =
      await db.sql`select source, batch_size, batches, rows_moved, finished_at from sync_private.run_log_archival order by id`;
    expect(passes.map((p) => [p.source, p.batch_size, p.batches, Number(p.rows_moved)])).toEqual([
      ['manual', 3, 4, 10],
      ['manual', 3, 3, 7],
    ]);
    expect(passes.every((p) => p.finished_at !== null)).toBe(true);
    // The function's four batches were one transaction; the block's three batches were three.
    const transactions = await db.sql`
      select org_id, count(distinct xmin::text)::int as n from public.sync_run_log_archive group by org_id order by org_id`;
    expect(transactions.map((t) => [t.org_id, t.n])).toEqual([
      [ORG_A, 1],
      [ORG_B, 3],
    ]);
  });

  it('the TypeScript pass reports its batches and shows up in the archival status', async () => {
    await seedSeries(db.sql, ORG_A, 'xledger', 8, 200);
    const seen: number[] = [];
    const result = await archiveOldRuns(rpc, { batchSize: 4, onBatch: (moved) => seen.push(moved) });
    expect(result).toMatchObject({ rowsMoved: 7, batches: 2, complete: true });
    expect(seen).toEqual([4, 3]);

    const status = await getArchivalStatus(rpc);
    expect(status.pgCronScheduled).toBe(false); // the embedded test server has no pg_cron
    expect(status.lastPass).toMatchObject({ id: result.archivalId, source: 'ticker', rowsMoved: 7 });
    expect(status.lastPass?.finishedAt).toBeInstanceOf(Date);
  });
});

describe('bad input', () => {
  it('is refused by the database with SR005 and moves nothing', async () => {
    await seedSeries(db.sql, ORG_A, 'xledger', 5, 200);
    for (const [retention, batch] of [
      ['12 hours', 10],
      ['-5 days', 10],
      ['90 days', 0],
      ['90 days', 50_001],
    ] as const) {
      await expect(archiveBatch(retention, batch)).rejects.toMatchObject({ code: 'SR005' });
    }
    for (const [retention, batch, source] of [
      ['12 hours', 10, 'pg_cron'],
      ['90 days', 0, 'pg_cron'],
      ['90 days', 10, 'cron'],
    ] as const) {
      expect(
        await sqlstate(
          db.sql`select sync_private.archive_run_log_job_command(${retention}::interval, ${batch}, ${source})`,
        ),
      ).toBe('SR005');
    }
    const { error } = await rpc.rpc('start_run_log_archival', {
      p_source: 'cron',
      p_retention: '90 days',
      p_batch_size: 10,
    });
    expect(error?.code).toBe('SR005');
    expect((await archivedIds(db.sql)).size).toBe(0);
  });

  it('is refused by archiveOldRuns before any call, as invalid_argument', async () => {
    let calls = 0;
    const counting: RpcPort = {
      rpc: (fn, args) => {
        calls++;
        return rpc.rpc(fn, args);
      },
    };
    for (const options of [
      { retentionDays: 0 },
      { retentionDays: 1.5 },
      { batchSize: 0 },
      { batchSize: 50_001 },
      { maxBatches: 0 },
    ]) {
      await expect(archiveOldRuns(counting, options)).rejects.toMatchObject({ code: 'invalid_argument' });
    }
    expect(calls).toBe(0);
  });
});

describe('the local ticker step', () => {
  it('isArchiveDue: due with no pass, then once a day', () => {
    const last = new Date('2026-03-29T01:30:00Z');
    expect(isArchiveDue(null, last)).toBe(true);
    expect(isArchiveDue(last, new Date('2026-03-30T01:29:59Z'))).toBe(false);
    expect(isArchiveDue(last, new Date('2026-03-30T01:30:00Z'))).toBe(true);
    expect(isArchiveDue(last, new Date('2026-03-29T02:30:00Z'), 60 * 60 * 1000)).toBe(true);
    expect(() => isArchiveDue(last, new Date('nonsense'))).toThrow(TypeError);
  });

  it('archiveIfDue runs when no pass ran, not again within a day, and again after a day', async () => {
    await seedSeries(db.sql, ORG_A, 'xledger', 3, 200);
    const first = await archiveIfDue(rpc, new Date());
    expect(first).toMatchObject({ ran: true, result: { rowsMoved: 2 } });

    const { lastPass } = await getArchivalStatus(rpc);
    if (!lastPass) throw new Error('the first pass was not recorded');
    const startedAt = lastPass.startedAt.getTime();
    expect(await archiveIfDue(rpc, new Date(startedAt + 60 * 60 * 1000))).toMatchObject({
      ran: false,
      reason: 'not_due',
    });
    expect(await archiveIfDue(rpc, new Date(startedAt + 24 * 60 * 60 * 1000))).toMatchObject({
      ran: true,
      result: { rowsMoved: 0 },
    });
  });
});

describe('settings from the environment', () => {
  it('reads ARCHIVE_RETENTION_DAYS and ARCHIVE_BATCH_SIZE, defaults when unset, refuses bad values', () => {
    expect(archiveOptionsFromEnv({})).toEqual({});
    expect(archiveOptionsFromEnv({ ARCHIVE_RETENTION_DAYS: '120', ARCHIVE_BATCH_SIZE: ' 500 ' })).toEqual({
      retentionDays: 120,
      batchSize: 500,
    });
    for (const env of [
      { ARCHIVE_RETENTION_DAYS: '0' },
      { ARCHIVE_RETENTION_DAYS: '90d' },
      { ARCHIVE_BATCH_SIZE: '-1' },
      { ARCHIVE_BATCH_SIZE: '60000' },
    ]) {
      expect(() => archiveOptionsFromEnv(env)).toThrow(/ARCHIVE_|archival settings/);
    }
  });
});

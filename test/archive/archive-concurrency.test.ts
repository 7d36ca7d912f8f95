// Archival beside live traffic: it locks only the rows it moves (and skips rows another archiver holds), so a
// run can be started and finished while a batch is open, and two archivers together move every row exactly once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveOldRuns } from '../../supabase/functions/_shared/archive/run-log-archive.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { asRole, createTestDatabase, SERVICE, type TestDatabase } from '../helpers/db.ts';
import { archivedIds, hotIds, ORG_A, ORG_B, seedSeries } from './seed.ts';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase({ max: 12 });
});
afterEach(async () => {
  await db.drop();
});

/** Starts and finishes a run as the service role, refusing to wait for any lock longer than 2 s. */
async function startAndFinish(orgId: string, integrationType: string): Promise<string> {
  return asRole(db.sql, SERVICE, async (tx) => {
    await tx`set local lock_timeout = '2s'`;
    const [row] = await tx`select public.insert_run_log(${orgId}, ${integrationType}, 'manual') as id`;
    const id = row?.id as string;
    await tx`select public.update_run_log_status(${id}, 'completed', 10, 0, null)`;
    return id;
  });
}

describe('archival beside live inserts', () => {
  it('a batch held open does not block starting and finishing runs of the same integration, nor a second archiver', async () => {
    await seedSeries(db.sql, ORG_A, 'xledger', 41, 300); // 40 movable
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let openBatchMoved = 0;
    let batchOpen!: () => void;
    const opened = new Promise<void>((resolve) => {
      batchOpen = resolve;
    });
    const openBatch = asRole(db.sql, SERVICE, async (tx) => {
      const [row] = await tx`select public.archive_run_log_batch('90 days', 10) as n`;
      openBatchMoved = Number(row?.n);
      batchOpen();
      await held; // the transaction stays open, holding its row locks
    });
    await opened;

    let fresh: string[];
    let secondMoved: number;
    try {
      // Live traffic on the very (org, integration) being archived: no waiting.
      fresh = [await startAndFinish(ORG_A, 'xledger'), await startAndFinish(ORG_A, 'xledger')];
      // A second archiver skips the 10 locked rows and moves the other 31 without waiting (the seeded newest
      // is no longer the newest once the fresh runs exist).
      const [second] = await asRole(db.sql, SERVICE, async (tx) => {
        await tx`set local lock_timeout = '2s'`;
        return tx`select public.archive_run_log('90 days', 100, 'manual') as n`;
      });
      secondMoved = Number(second?.n);
    } finally {
      release();
      await openBatch;
    }
    expect(secondMoved).toBe(31);
    expect(openBatchMoved).toBe(10);
    expect((await archivedIds(db.sql)).size).toBe(41);
    expect(await hotIds(db.sql)).toEqual(new Set(fresh));
  });

  it('inserts running throughout an archival pass all succeed, and every old run moves exactly once', async () => {
    await seedSeries(db.sql, ORG_A, 'xledger', 1501, 400, 60); // hourly, 400 to 337 days ago
    await seedSeries(db.sql, ORG_B, 'dynamics', 1501, 400, 60);
    const rpc = createSqlRpc(db.sql, SERVICE);

    let archiving = true;
    const inserted: string[] = [];
    const live = (async () => {
      const integrations = ['xledger', 'dynamics', 'bufdir'];
      for (let i = 0; archiving || i < 10; i++) {
        inserted.push(await startAndFinish(i % 2 ? ORG_A : ORG_B, integrations[i % 3] as string));
      }
    })();
    const [one, two] = await Promise.all([
      archiveOldRuns(rpc, { batchSize: 50, source: 'manual' }),
      archiveOldRuns(rpc, { batchSize: 50, source: 'manual' }),
    ]).finally(() => {
      archiving = false;
    });
    await live;

    const archived = (await archivedIds(db.sql)).size;
    expect(archived).toBeGreaterThanOrEqual(3000);
    expect(one.rowsMoved + two.rowsMoved).toBe(archived); // each row counted once, by the archiver that moved it
    expect(inserted.length).toBeGreaterThanOrEqual(10);
    const hot = await hotIds(db.sql);
    for (const id of inserted) expect(hot.has(id)).toBe(true);
    // Once fresh runs of the same integrations exist, the seeded newest two may move too.
    expect(hot.size - inserted.length).toBeLessThanOrEqual(2);
  });
});

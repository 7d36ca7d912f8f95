// A queued run ("Sync now") that no executor ever claims must not block its integration: after the run timeout the
// reaper fails it, says it was never started, records a stuck_run alert, and the integration can be synced again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { alertsOf, databaseNow, MINUTE, newOrg, plus, repositories, runsOf } from './helpers.ts';

let db: TestDatabase;
let repos: ReturnType<typeof repositories>;

beforeAll(async () => {
  db = await createTestDatabase();
  repos = repositories(db.sql);
});
afterAll(() => db.drop());

async function queue(org: string): Promise<string> {
  await db.sql`select public.upsert_sync_connection(${org}::uuid, 'xledger', null, ${db.sql.json({ apiToken: 'local-xledger-token' })}::jsonb, true)`;
  const [row] = await db.sql`select (public.queue_manual_run(${org}::uuid, 'xledger')).id as id`;
  return row?.id as string;
}

it('an unclaimed queued run is failed after the run timeout, with an alert, and Sync now works again', async () => {
  const org = newOrg();
  const queued = await queue(org);
  const now = await databaseNow(db.sql);

  expect((await repos.scheduler.reapStuckRuns(plus(now, 29 * MINUTE))).filter((r) => r.orgId === org)).toEqual([]);
  const reaped = (await repos.scheduler.reapStuckRuns(plus(now, 31 * MINUTE))).filter((r) => r.orgId === org);
  expect(reaped).toEqual([expect.objectContaining({ runId: queued, timeoutSeconds: 1800 })]);
  expect(reaped[0]?.errorMessage).toMatch(
    /^queued run failed by the scheduler: queued since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC and not started within the run timeout of 30 minutes/,
  );
  const [run] = await runsOf(db.sql, org);
  expect(run).toMatchObject({ id: queued, status: 'failed' });
  const [ended] = await db.sql`select ended_at from public.sync_run_log where id = ${queued}`;
  expect(ended?.ended_at).toBeInstanceOf(Date);
  expect((await alertsOf(db.sql, org)).map((a) => a.kind)).toEqual(['stuck_run']);

  const again = await queue(org); // no longer blocked by the dead queue entry
  expect(again).not.toBe(queued);
});

it('a claimed run is reaped by its heartbeats, not by when it was queued', async () => {
  const org = newOrg();
  const queued = await queue(org);
  await db.sql`select * from public.claim_pending_runs(1000)`;
  const claimedAt = await databaseNow(db.sql);
  const reaped = (await repos.scheduler.reapStuckRuns(plus(claimedAt, 29 * MINUTE))).filter((r) => r.orgId === org);
  expect(reaped).toEqual([]);
  const [run] = await runsOf(db.sql, org);
  expect(run).toMatchObject({ id: queued, status: 'running' });
});

it('the status machine allows pending -> failed, and still nothing leaves a final status', async () => {
  const org = newOrg();
  const queued = await queue(org);
  await db.sql`update public.sync_run_log set status = 'failed', ended_at = now() where id = ${queued}`;
  const error =
    await db.sql`update public.sync_run_log set status = 'running', ended_at = null where id = ${queued}`.catch(
      (e: { code?: string }) => e.code,
    );
  expect(error).toBe('SR006');
});

// A real worker process killed mid-sync: it was sending heartbeats with progress through the repository, then
// SIGKILL (no handler, no final write). The reaper fails its run once the silence passes the timeout, keeping the
// progress it had recorded, and the next period runs.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { databaseNow, floorTo, MINUTE, newOrg, plus, repositories, runsOf } from './helpers.ts';

let db: TestDatabase;
let worker: ChildProcess | undefined;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  worker?.kill('SIGKILL');
  await db.drop();
});

/** A worker process: runs the started run with an adapter that pages forever, a heartbeat per page. */
function startWorker(url: string, run: { runId: string; orgId: string }): ChildProcess {
  const shared = path.resolve('supabase/functions/_shared');
  const script = `
    import postgres from 'postgres';
    import { SyncRunLogRepository } from '${shared}/run-log.repository.ts';
    import { createSqlRpc } from '${shared}/sql-rpc.ts';
    import { RunExecutor } from '${shared}/scheduler/executor.ts';
    const sql = postgres(${JSON.stringify(url)}, { max: 2, onnotice: () => {} });
    const runLog = new SyncRunLogRepository(createSqlRpc(sql, { role: 'service_role', claims: { role: 'service_role' } }));
    const adapter = {
      type: 'xledger',
      healthCheck: async () => ({ status: 'healthy', latencyMs: 1 }),
      async sync({ signal, onProgress }) {
        for (let page = 1; !signal.aborted; page++) {
          await onProgress({ recordsProcessed: page * 100, recordsFailed: 0 });
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw signal.reason;
      },
    };
    const log = { log: () => {} };
    const connections = { load: async () => ({ credentials: {}, settings: {} }) };
    new RunExecutor({ runLog, adapters: { xledger: adapter }, connections, log }).start({
      runId: ${JSON.stringify(run.runId)}, orgId: ${JSON.stringify(run.orgId)}, integrationType: 'xledger',
      scheduledFor: null, timeoutSeconds: 1800,
    });`;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'inherit' });
}

it('a SIGKILLed worker: its run is failed by the reaper with its recorded progress, and the next period runs', async () => {
  const repos = repositories(db.sql);
  const org = newOrg();
  const base = plus(floorTo(await databaseNow(db.sql), 5), 5 * MINUTE);
  await repos.scheduler.upsertSchedule({
    orgId: org,
    integrationType: 'xledger',
    cronExpression: '*/5 * * * *',
    activeFrom: base,
  });
  const first = await tick(plus(base, 10_000), repos);
  const runId = first.started.find((s) => s.orgId === org)?.runId as string;
  expect(runId).toBeDefined();

  worker = startWorker(db.url, { runId, orgId: org });
  // Bounded wait until the worker's heartbeats have recorded progress.
  let processed = 0;
  for (let i = 0; i < 300 && processed < 300; i++) {
    processed = (await runsOf(db.sql, org))[0]?.records_processed ?? 0;
    if (processed < 300) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(processed).toBeGreaterThanOrEqual(300);
  worker.kill('SIGKILL');
  await new Promise((resolve) => worker?.once('exit', resolve));
  const [afterKill] = await runsOf(db.sql, org);
  expect(afterKill?.status).toBe('running'); // nobody wrote an end: the worker died

  // 40 simulated minutes on, the silence is past the 30-minute timeout: reaped, and the latest period starts.
  const later = await tick(plus(base, 40 * MINUTE + 10_000), repos);
  expect(later.reaped.map((r) => r.runId)).toContain(runId);
  expect(later.started.filter((s) => s.orgId === org).map((s) => s.period)).toEqual([
    plus(base, 40 * MINUTE).toISOString(),
  ]);
  const runs = await runsOf(db.sql, org);
  expect(runs.map((r) => r.status)).toEqual(['failed', 'running']);
  expect(runs[0]?.records_processed).toBe(afterKill?.records_processed);
  expect(runs[0]?.error_message).toMatch(/^stuck run failed by the scheduler: no heartbeat since/);
});

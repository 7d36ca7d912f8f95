// A sync run end to end: the scheduler's executor runs a real adapter against its simulated API over HTTP and records
// the outcome in the run log (real database). Real pages give real counts; partly failed runs complete with
// records_failed and a sanitised error; runs that throw are failed with a sanitised error; none stays running.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { silentLogger } from '../../supabase/functions/_shared/log.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
import { RunExecutor } from '../../supabase/functions/_shared/scheduler/executor.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { createTestDatabase, SERVICE, type TestDatabase } from '../helpers/db.ts';
import { recordingRuntime, type SimulatedApis, startApis } from './simulated.ts';

const ORG = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
let db: TestDatabase;
let apis: SimulatedApis;
let runLog: SyncRunLogRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  apis = await startApis();
  runLog = new SyncRunLogRepository(createSqlRpc(db.sql, SERVICE));
});
afterAll(async () => {
  await apis.stop();
  await db.drop();
});
beforeEach(() => {
  for (const server of [apis.xledger, apis.dynamics, apis.bufdir]) {
    server.control.reset();
    server.dataset.set({ totalRecords: 730, invalidEvery: 0, maxPageSize: 500 });
  }
});

async function run(type: 'xledger' | 'dynamics' | 'bufdir', env: Record<string, string> = {}) {
  const adapters = createAdapters({ ...apis.env, INTEGRATION_PAGE_SIZE: '100', ...env }, recordingRuntime());
  const executor = new RunExecutor({ runLog, adapters, log: silentLogger });
  const runId = await runLog.insertRunLog(ORG, type, 'manual');
  const outcome = await executor.execute({
    runId,
    orgId: ORG,
    integrationType: type,
    scheduledFor: null,
    timeoutSeconds: 600,
  });
  const [row] = await db.sql`select status, records_processed, records_failed, error_message, heartbeat_at
                             from public.sync_run_log where id = ${runId}`;
  return { outcome, row };
}

describe('a sync run against a simulated API', () => {
  it('processes real pages and records real counts', async () => {
    const { row } = await run('dynamics');
    expect(row).toMatchObject({ status: 'completed', records_processed: 730, records_failed: 0, error_message: null });
    expect(apis.dynamics.control.count('data')).toBe(8);
  });

  it('a partly failed run completes with records_failed and the reason', async () => {
    apis.bufdir.dataset.set({ invalidEvery: 73 });
    const { row } = await run('bufdir');
    expect(row).toMatchObject({ status: 'completed', records_processed: 720, records_failed: 10 });
    expect(row?.error_message).toBe(
      '10 of 730 records could not be processed (first: page 1 record 73: participants is not a count)',
    );
  });

  it('a run that throws is failed with a sanitised error, never left running', async () => {
    apis.xledger.control.set({ errorBurst: { count: 100, status: 503, on: 'data' } });
    const { row } = await run('xledger', { INTEGRATION_MAX_ATTEMPTS: '3' });
    expect(row).toMatchObject({ status: 'failed', records_processed: 0 });
    expect(row?.error_message).toBe('xledger: POST /graphql failed with HTTP 503 (3 attempts)');
    const [running] = await db.sql`select count(*)::int as n from public.sync_run_log where status = 'running'`;
    expect(running?.n).toBe(0);
  });

  it('a failure after some pages keeps the progress the heartbeats recorded', async () => {
    apis.dynamics.dataset.set({ totalRecords: 1000 });
    const adapters = createAdapters(
      { ...apis.env, INTEGRATION_PAGE_SIZE: '100', INTEGRATION_MAX_ATTEMPTS: '2' },
      recordingRuntime(),
    );
    const executor = new RunExecutor({ runLog, adapters, log: silentLogger });
    const runId = await runLog.insertRunLog(ORG, 'dynamics', 'manual');
    // Pages 1-3 answer, then the API goes down.
    apis.dynamics.control.set({ errorBurst: { count: 100, status: 502, on: 'data', after: 3 } });
    await executor.execute({ runId, orgId: ORG, integrationType: 'dynamics', scheduledFor: null, timeoutSeconds: 600 });
    const [row] =
      await db.sql`select status, records_processed, error_message from public.sync_run_log where id = ${runId}`;
    expect(row).toMatchObject({ status: 'failed', records_processed: 300 });
    expect(row?.error_message).toMatch(/^dynamics: GET \/api\/data\/v9\.2\/msdyn_transactions failed with HTTP 502/);
  });
});

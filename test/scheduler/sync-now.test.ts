// "Sync now" executed: a manual run queued in the real database (queue_manual_run, status pending) is claimed by the
// scheduler (claim_pending_runs) and run by the same executor as scheduled periods, with the org's connection
// (credentials from the local Vault) against the simulated vendor APIs over HTTP. Claimed once however many claim at
// once; cancelled while queued: never run; cancelled while running: stopped at the next page; refused credentials:
// failed unauthorized; two orgs: each with its own credentials. And a schedule without an enabled connection: its
// period starts and fails as not configured.
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SyncRunLogError } from '../../supabase/functions/_shared/errors.ts';
import type { AdapterRegistry, IntegrationAdapter } from '../../supabase/functions/_shared/integrations/integration.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
import { schedulerSettingsFromEnv } from '../../supabase/functions/_shared/scheduler/config.ts';
import { claimQueuedRuns } from '../../supabase/functions/_shared/scheduler/queued-runs.ts';
import { createSchedulerRuntime } from '../../supabase/functions/_shared/scheduler/runtime.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { createTestDatabase, SERVICE, type TestDatabase } from '../helpers/db.ts';
import {
  LOCAL_CREDENTIALS,
  recordingRuntime,
  type SimulatedApis,
  startApis,
  type Vendor,
  WRONG_CREDENTIALS,
} from '../integrations/simulated.ts';
import { connect, databaseNow, floorTo, MINUTE, newOrg, plus, recordingLogger, runsOf } from './helpers.ts';

const SECOND_ORG = {
  xledger: { apiToken: 'second-org-xledger-token' },
  dynamics: { clientId: 'second-org-client', clientSecret: 'second-org-secret' },
  bufdir: { apiKey: 'second-org-bufdir-key' },
};

let db: TestDatabase;
let apis: SimulatedApis;
const pools: Sql[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  apis = await startApis({
    accept: {
      xledger: [SECOND_ORG.xledger.apiToken],
      dynamics: [SECOND_ORG.dynamics],
      bufdir: [SECOND_ORG.bufdir.apiKey],
    },
  });
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await apis.stop();
  await db.drop();
});
beforeEach(() => {
  for (const server of [apis.xledger, apis.dynamics, apis.bufdir]) {
    server.control.reset();
    server.dataset.set({ totalRecords: 350, invalidEvery: 0, maxPageSize: 500 });
  }
});

const service = () => createSqlRpc(db.sql, SERVICE);
const integrations = () => new IntegrationsRepository(service());
const runLog = () => new SyncRunLogRepository(service());

/** A scheduler as a host assembles it, over a pool of its own (a separate process would have one). */
function scheduler(adapters: AdapterRegistry = realAdapters()) {
  const pool = postgres(db.url, { max: 3, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
  pools.push(pool);
  return createSchedulerRuntime({
    rpc: createSqlRpc(pool, SERVICE),
    adapters,
    log: recordingLogger(),
    settings: schedulerSettingsFromEnv({}),
  });
}

function realAdapters(): AdapterRegistry {
  return createAdapters(
    { ...apis.env, INTEGRATION_PAGE_SIZE: '100', INTEGRATION_MAX_ATTEMPTS: '2' },
    recordingRuntime(),
  );
}

/** An org with a connection holding `credentials`, and a "Sync now" click queued. */
async function queued(type: Vendor, credentials: Record<string, unknown> = LOCAL_CREDENTIALS[type]) {
  const orgId = newOrg();
  await connect(service(), orgId, type, credentials);
  const run = await integrations().queueManualRun(orgId, type);
  expect(run.status).toBe('pending');
  return { orgId, runId: run.id };
}

async function row(runId: string) {
  const [found] = await db.sql<
    { status: string; records_processed: number; records_failed: number; error_message: string | null }[]
  >`select status, records_processed, records_failed, error_message from public.sync_run_log where id = ${runId}`;
  return found;
}

describe('a queued "Sync now" run', () => {
  it("is claimed by the tick and synced with the org's credentials: completed with records", async () => {
    const { orgId, runId } = await queued('xledger');
    const runtime = scheduler();
    const report = await tick(new Date(), runtime.deps);
    expect(report.errors).toEqual([]);
    expect(report.claimed).toEqual([{ runId, orgId, integrationType: 'xledger', queuedAt: expect.any(String) }]);
    await runtime.executor.idle();
    expect(await row(runId)).toMatchObject({ status: 'completed', records_processed: 350, error_message: null });
    expect(apis.xledger.control.count('data')).toBe(4);
    expect(apis.xledger.control.credentialsSeen()).toEqual([LOCAL_CREDENTIALS.xledger.apiToken]);
  });

  it('is claimed once, even by two schedulers claiming at the same moment, however many runs are queued', async () => {
    const runs = await Promise.all(
      Array.from({ length: 12 }, (_, i) => queued((['xledger', 'dynamics', 'bufdir'] as const)[i % 3] as Vendor)),
    );
    const calls = new Map<string, number>();
    const counting = (inner: AdapterRegistry): AdapterRegistry =>
      Object.fromEntries(
        Object.entries(inner).map(([type, adapter]) => [
          type,
          {
            ...adapter,
            type,
            healthCheck: adapter.healthCheck.bind(adapter),
            sync: (context) => {
              calls.set(context.orgId, (calls.get(context.orgId) ?? 0) + 1);
              return adapter.sync(context);
            },
          } satisfies IntegrationAdapter,
        ]),
      );
    const [a, b] = [scheduler(counting(realAdapters())), scheduler(counting(realAdapters()))];
    // Small claims, so that both keep claiming while the other does.
    const claims = await Promise.all(
      [a, b].flatMap((s) =>
        [0, 1, 2, 3, 4, 5].map(() => claimQueuedRuns({ ...s.deps, queue: s.queue, claimLimit: 2 })),
      ),
    );
    await Promise.all([a.executor.idle(), b.executor.idle()]);
    const claimed = claims.flat().map((entry) => entry.runId);
    expect(claimed.sort()).toEqual(runs.map((r) => r.runId).sort());
    for (const { orgId, runId } of runs) {
      expect(calls.get(orgId)).toBe(1);
      expect(await row(runId)).toMatchObject({ status: 'completed', records_processed: 350 });
    }
    expect((await integrations().claimPendingRuns(10)).length).toBe(0);
  });

  it('whose claim committed but lost its answer: asked again under the same claim, and synced', async () => {
    const { runId } = await queued('bufdir');
    const runtime = scheduler();
    const real = integrations();
    let calls = 0;
    const lostOnce = {
      async claimPendingRuns(limit: number, claimId?: string) {
        calls += 1;
        const claimed = await real.claimPendingRuns(limit, claimId);
        if (calls === 1) throw new SyncRunLogError('unavailable', 'the database could not be reached'); // committed
        return claimed;
      },
    };
    const claimed = await claimQueuedRuns({ ...runtime.deps, queue: lostOnce, claimRetryDelaysMs: [1, 1] });
    expect(calls).toBe(2);
    expect(claimed.map((entry) => entry.runId)).toContain(runId);
    await runtime.executor.idle();
    expect(await row(runId)).toMatchObject({ status: 'completed', records_processed: 350 });
  });

  it('cancelled while queued: never claimed, never run', async () => {
    const { orgId, runId } = await queued('bufdir');
    const runtime = scheduler();
    await runLog().updateRunLogStatus(runId, 'cancelled', null, null, null);
    const claimed = await claimQueuedRuns({ ...runtime.deps, queue: runtime.queue });
    expect(claimed.filter((entry) => entry.orgId === orgId)).toEqual([]);
    await runtime.executor.idle();
    expect(await row(runId)).toMatchObject({ status: 'cancelled', records_processed: 0 });
    expect(apis.bufdir.control.count()).toBe(0);
  });

  it('cancelled while running: the sync stops at the next page, and the cancel stands', async () => {
    apis.dynamics.dataset.set({ totalRecords: 1000 });
    const { runId } = await queued('dynamics');
    const real = realAdapters().dynamics as IntegrationAdapter;
    let cancelled = false;
    const runtime = scheduler({
      dynamics: {
        type: 'dynamics',
        healthCheck: real.healthCheck.bind(real),
        // The coordinator clicks cancel right after the second page's heartbeat.
        sync: (context) =>
          real.sync({
            ...context,
            onProgress: async (progress) => {
              await context.onProgress(progress);
              if (progress.recordsProcessed === 200 && !cancelled) {
                cancelled = true;
                await runLog().updateRunLogStatus(runId, 'cancelled', null, null, null);
              }
            },
          }),
      },
    });
    const claimed = await claimQueuedRuns({ ...runtime.deps, queue: runtime.queue });
    expect(claimed.map((entry) => entry.runId)).toContain(runId);
    await runtime.executor.idle();
    // Pages 1 and 2, then the third (in flight when nobody knew yet); its heartbeat found the run cancelled.
    expect(apis.dynamics.control.count('data')).toBe(3);
    expect(await row(runId)).toMatchObject({ status: 'cancelled', records_processed: 200 });
  });

  it('with credentials the vendor refuses: failed unauthorized, the credentials nowhere in the run log', async () => {
    const { runId } = await queued('bufdir', WRONG_CREDENTIALS.bufdir);
    const runtime = scheduler();
    await claimQueuedRuns({ ...runtime.deps, queue: runtime.queue });
    await runtime.executor.idle();
    const failed = await row(runId);
    expect(failed).toMatchObject({
      status: 'failed',
      error_message: 'bufdir: GET /api/v1/exports/records refused the credentials (HTTP 401)',
    });
    expect(JSON.stringify(failed)).not.toContain(WRONG_CREDENTIALS.bufdir.apiKey);
  });

  it('two orgs with different credentials: each synced with its own', async () => {
    const first = await queued('dynamics');
    const second = await queued('dynamics', SECOND_ORG.dynamics);
    const runtime = scheduler();
    await claimQueuedRuns({ ...runtime.deps, queue: runtime.queue });
    await runtime.executor.idle();
    for (const { runId } of [first, second]) {
      expect(await row(runId)).toMatchObject({ status: 'completed', records_processed: 350 });
    }
    const tokenRequests = apis.dynamics.control.log.filter((entry) => entry.kind === 'auth');
    expect(tokenRequests.map((entry) => entry.credential).sort()).toEqual(
      [LOCAL_CREDENTIALS.dynamics.clientId, SECOND_ORG.dynamics.clientId].sort(),
    );
    const data = apis.dynamics.control.log.filter((entry) => entry.kind === 'data');
    expect(data.filter((entry) => entry.credential === SECOND_ORG.dynamics.clientId)).toHaveLength(4);
    expect(data.filter((entry) => entry.credential === LOCAL_CREDENTIALS.dynamics.clientId)).toHaveLength(4);
  });

  it('whose connection was disabled after the click: failed not_configured, the vendor never called', async () => {
    const { orgId, runId } = await queued('xledger');
    await integrations().setConnectionEnabled(orgId, 'xledger', false);
    const runtime = scheduler();
    await claimQueuedRuns({ ...runtime.deps, queue: runtime.queue });
    await runtime.executor.idle();
    expect(await row(runId)).toMatchObject({
      status: 'failed',
      error_message: 'xledger is not configured for this org: no enabled connection with credentials',
    });
    expect(apis.xledger.control.count()).toBe(0);
  });
});

describe('a scheduled period', () => {
  it("is synced with the org's connection", async () => {
    const orgId = newOrg();
    await connect(service(), orgId, 'bufdir', LOCAL_CREDENTIALS.bufdir, {
      settings: { organisationNumber: '974760673' },
    });
    const runtime = scheduler();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await runtime.deps.scheduler.upsertSchedule({
      orgId,
      integrationType: 'bufdir',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    const report = await tick(plus(base, 5_000), runtime.deps);
    expect(report.started.filter((s) => s.orgId === orgId)).toHaveLength(1);
    await runtime.executor.idle();
    expect((await runsOf(db.sql, orgId)).map((r) => [r.status, r.records_processed])).toEqual([['completed', 350]]);
    expect(apis.bufdir.control.credentialsSeen()).toEqual([LOCAL_CREDENTIALS.bufdir.apiKey]);
  });

  it('of a schedule without an enabled connection: started, and failed as not configured (the ledger says why)', async () => {
    const orgId = newOrg();
    const runtime = scheduler();
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await runtime.deps.scheduler.upsertSchedule({
      orgId,
      integrationType: 'xledger',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    const report = await tick(plus(base, 5_000), runtime.deps);
    expect(report.started.filter((s) => s.orgId === orgId)).toHaveLength(1);
    await runtime.executor.idle();
    const [run] = await runsOf(db.sql, orgId);
    expect(run).toMatchObject({
      status: 'failed',
      triggered_by: 'scheduler',
      error_message: 'xledger is not configured for this org: no enabled connection with credentials',
    });
    expect(run?.scheduled_for?.toISOString()).toBe(base.toISOString());
    expect(apis.xledger.control.count()).toBe(0);
    // The health row is not told: the vendor was never asked.
    const [health] = await db.sql`select last_sync_at from public.integration_health where org_id = ${orgId}`;
    expect(health?.last_sync_at ?? null).toBeNull();
  });
});

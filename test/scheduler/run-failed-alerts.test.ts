// A scheduled run that fails is a run_failed alert, so a period left unsynced is never only a row nobody reads:
// one open alert per org and integration, later failures counted into it (one notification, not one per period),
// a new one after it was acknowledged; manual runs and retried calls add nothing. Against the real database
// (record_run_failure), then end to end: the tick starts a period, the executor syncs it against the simulated
// vendor with credentials it refuses, and the alert is a row, a log line and one webhook POST.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import { schedulerSettingsFromEnv } from '../../supabase/functions/_shared/scheduler/config.ts';
import { createSchedulerRuntime } from '../../supabase/functions/_shared/scheduler/runtime.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import {
  asAuthenticated,
  createTestDatabase,
  SERVICE,
  sqlstate,
  type TestDatabase,
  userClaims,
} from '../helpers/db.ts';
import { recordingRuntime, type SimulatedApis, startApis, WRONG_CREDENTIALS } from '../integrations/simulated.ts';
import {
  alertsOf,
  connect,
  databaseNow,
  floorTo,
  MINUTE,
  newOrg,
  plus,
  recordingLogger,
  repositories,
} from './helpers.ts';

let db: TestDatabase;
let repos: ReturnType<typeof repositories>;

beforeAll(async () => {
  db = await createTestDatabase();
  repos = repositories(db.sql);
});
afterAll(async () => {
  await db.drop();
});

let periodCounter = 0;

/** A scheduler run of the org's integration (a period of its own), failed with `message`. */
async function failedScheduledRun(orgId: string, type: string, message: string): Promise<string> {
  const period = new Date(Date.UTC(2026, 10, 1) + periodCounter++ * 5 * MINUTE);
  const id = await repos.runLog.insertRunLog(orgId, type, 'scheduler', {
    scheduledFor: period,
    idempotencyKey: `${type}:${period.toISOString()}`,
  });
  await repos.runLog.updateRunLogStatus(id, 'failed', 0, 0, message);
  return id;
}

async function openAlerts(orgId: string) {
  return db.sql<{ id: string; integration_type: string; run_id: string; details: Record<string, unknown> }[]>`
    select id, integration_type, run_id, details from public.sync_alerts
    where org_id = ${orgId} and kind = 'run_failed' and acknowledged_at is null order by created_at`;
}

describe('record_run_failure', () => {
  it('opens one alert for a failed scheduled run, with the period and the message', async () => {
    const org = newOrg();
    const runId = await failedScheduledRun(org, 'xledger', 'xledger: GET /api/transactions refused the credentials');
    const alert = await repos.scheduler.recordRunFailure(runId);
    expect(alert).toMatchObject({ orgId: org, kind: 'run_failed', integrationType: 'xledger', runId });
    expect(alert?.details).toMatchObject({
      failed_count: 1,
      error_message: 'xledger: GET /api/transactions refused the credentials',
      last_run_id: runId,
    });
    const [run] = await db.sql<{ scheduled_for: Date; ended_at: Date }[]>`
      select scheduled_for, ended_at from public.sync_run_log where id = ${runId}`;
    expect(new Date(alert?.details.scheduled_for as string).getTime()).toBe(run?.scheduled_for.getTime());
    expect(new Date(alert?.details.failed_at as string).getTime()).toBe(run?.ended_at.getTime());
    expect(await openAlerts(org)).toHaveLength(1);
  });

  it('counts later failures into the open alert (nothing to notify), and a retried call counts nothing', async () => {
    const org = newOrg();
    const first = await failedScheduledRun(org, 'bufdir', 'first failure');
    expect(await repos.scheduler.recordRunFailure(first)).not.toBeNull();
    const second = await failedScheduledRun(org, 'bufdir', 'second failure');
    expect(await repos.scheduler.recordRunFailure(second)).toBeNull();
    expect(await repos.scheduler.recordRunFailure(second)).toBeNull();
    expect(await repos.scheduler.recordRunFailure(first)).toBeNull();
    const [open, ...others] = await openAlerts(org);
    expect(others).toEqual([]);
    expect(open?.run_id).toBe(first);
    expect(open?.details).toMatchObject({
      failed_count: 2,
      error_message: 'first failure',
      last_run_id: second,
      last_error_message: 'second failure',
    });
  });

  it('opens a new alert after the open one was acknowledged; each integration has its own', async () => {
    const org = newOrg();
    const first = await repos.scheduler.recordRunFailure(await failedScheduledRun(org, 'dynamics', 'down'));
    const integrations = new IntegrationsRepository(createSqlRpc(db.sql, SERVICE));
    await integrations.acknowledgeAlert(org, first?.id as string, null);
    const next = await repos.scheduler.recordRunFailure(await failedScheduledRun(org, 'dynamics', 'down again'));
    expect(next).not.toBeNull();
    expect(next?.id).not.toBe(first?.id);
    expect(next?.details.failed_count).toBe(1);
    const other = await repos.scheduler.recordRunFailure(await failedScheduledRun(org, 'xledger', 'refused'));
    expect(other?.integrationType).toBe('xledger');
    expect((await openAlerts(org)).map((a) => a.integration_type).sort()).toEqual(['dynamics', 'xledger']);
  });

  it('failures of one integration recorded at the same moment: one alert, every one counted', async () => {
    const org = newOrg();
    const runs: string[] = [];
    for (let i = 0; i < 8; i++) runs.push(await failedScheduledRun(org, 'xledger', `failure ${i}`));
    // Each call over a connection of its own, connected first, then all at once.
    const pools = runs.map(() => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(pools.map((pool) => pool`select 1`));
      const opened = await Promise.all(
        runs.map((runId, i) => repositories(pools[i] as Sql).scheduler.recordRunFailure(runId)),
      );
      expect(opened.filter((alert) => alert !== null)).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    const open = await openAlerts(org);
    expect(open).toHaveLength(1);
    expect(open[0]?.details.failed_count).toBe(8);
  });

  it('adds nothing for a failed manual run', async () => {
    const org = newOrg();
    const id = await repos.runLog.insertRunLog(org, 'xledger', 'manual');
    await repos.runLog.updateRunLogStatus(id, 'failed', 0, 0, 'refused');
    expect(await repos.scheduler.recordRunFailure(id)).toBeNull();
    expect(await alertsOf(db.sql, org)).toEqual([]);
  });

  it('refuses a run that has not failed (invalid_argument) and an unknown one (not_found), writing nothing', async () => {
    const org = newOrg();
    const running = await repos.runLog.insertRunLog(org, 'xledger', 'scheduler', {
      scheduledFor: new Date('2026-10-01T00:00:00Z'),
      idempotencyKey: 'xledger:2026-10-01T00:00:00.000Z',
    });
    await expect(repos.scheduler.recordRunFailure(running)).rejects.toMatchObject({ code: 'invalid_argument' });
    await repos.runLog.updateRunLogStatus(running, 'completed', 5, 0, null);
    await expect(repos.scheduler.recordRunFailure(running)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(repos.scheduler.recordRunFailure(newOrg())).rejects.toMatchObject({ code: 'not_found' });
    expect(await alertsOf(db.sql, org)).toEqual([]);
  });

  it("is the service role's alone: a user may neither call it nor change an alert's details", async () => {
    const org = newOrg();
    const runId = await failedScheduledRun(org, 'xledger', 'refused');
    const admin = userClaims(org, 'admin');
    expect(await sqlstate(asAuthenticated(db.sql, admin, (tx) => tx`select public.record_run_failure(${runId})`))).toBe(
      '42501',
    );
    const alert = await repos.scheduler.recordRunFailure(runId);
    expect(
      await sqlstate(
        asAuthenticated(
          db.sql,
          admin,
          (tx) => tx`update public.sync_alerts set details = '{}'::jsonb where id = ${alert?.id as string}`,
        ),
      ),
    ).toBe('42501');
  });
});

describe('a scheduled period the vendor refuses', () => {
  let apis: SimulatedApis;
  let hook: Server;
  let hookUrl: string;
  const posted: Record<string, unknown>[] = [];
  const pools: Sql[] = [];

  beforeAll(async () => {
    apis = await startApis();
    hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        posted.push(JSON.parse(body));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await new Promise((resolve) => hook.close(resolve));
    await apis.stop();
  });

  it('is one run_failed alert, one log line and one webhook POST, however many periods fail after it', async () => {
    const orgId = newOrg();
    const service = createSqlRpc(db.sql, SERVICE);
    await connect(service, orgId, 'bufdir', WRONG_CREDENTIALS.bufdir, {
      settings: { organisationNumber: '974760673' },
    });
    const pool = postgres(db.url, { max: 3, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
    pools.push(pool);
    const log = recordingLogger();
    const runtime = createSchedulerRuntime({
      rpc: createSqlRpc(pool, SERVICE),
      adapters: createAdapters({ ...apis.env, INTEGRATION_MAX_ATTEMPTS: '1' }, recordingRuntime()),
      log,
      settings: schedulerSettingsFromEnv({ ALERT_WEBHOOK_URL: hookUrl }),
    });
    const base = plus(floorTo(await databaseNow(db.sql), 1), MINUTE);
    await runtime.deps.scheduler.upsertSchedule({
      orgId,
      integrationType: 'bufdir',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    for (const at of [plus(base, 5_000), plus(base, MINUTE + 5_000)]) {
      const report = await tick(at, runtime.deps);
      expect(report.started.filter((s) => s.orgId === orgId)).toHaveLength(1);
      await runtime.executor.idle();
    }

    const runs = await db.sql<{ id: string; status: string; error_message: string }[]>`
      select id, status, error_message from public.sync_run_log where org_id = ${orgId} order by scheduled_for`;
    expect(runs.map((run) => run.status)).toEqual(['failed', 'failed']);
    const alerts = await alertsOf(db.sql, orgId);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'run_failed', run_id: runs[0]?.id })]);
    expect(alerts[0]?.details).toMatchObject({
      failed_count: 2,
      error_message: runs[0]?.error_message,
      last_run_id: runs[1]?.id,
    });
    expect(runs[0]?.error_message).toContain('refused the credentials (HTTP 401)');
    const mine = posted.filter((body) => body.orgId === orgId);
    expect(mine).toEqual([
      expect.objectContaining({
        type: 'sync_alert',
        kind: 'run_failed',
        integrationType: 'bufdir',
        runId: runs[0]?.id,
      }),
    ]);
    const lines = log.lines.filter((line) => line.fields.event === 'sync_alert' && line.fields.orgId === orgId);
    expect(lines).toHaveLength(1);
    expect(JSON.stringify([alerts, mine, log.lines])).not.toContain(WRONG_CREDENTIALS.bufdir.apiKey);
  });
});

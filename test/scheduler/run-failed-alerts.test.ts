// A scheduled run that fails is a run_failed alert, so a period left unsynced is never only a row nobody reads:
// written by the run's final write in the same transaction (update_run_log_status, record_run_failure), one open alert
// per org and integration, later failures counted into it (one notification, not one per period), a new one after it
// was acknowledged; manual runs and retried calls add nothing. Against the real database, then end to end: the tick
// starts a period, the executor syncs it against the simulated vendor with credentials it refuses, and the alert is
// a row, a log line and one webhook POST; a row all the same when the database is lost after the final write.
// Acknowledging one with the failures seen (acknowledge_sync_alert's p_seen_failed_count) refuses it (SR009) while
// it counts more, also when the failure is counted in at the same moment.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callRpc } from '../../supabase/functions/_shared/errors.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { IntegrationsRepository } from '../../supabase/functions/_shared/integrations.repository.ts';
import type { RpcPort } from '../../supabase/functions/_shared/rpc-port.ts';
import { schedulerSettingsFromEnv } from '../../supabase/functions/_shared/scheduler/config.ts';
import { createSchedulerRuntime } from '../../supabase/functions/_shared/scheduler/runtime.ts';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import {
  asAuthenticated,
  asRole,
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

/** A running scheduler run of the org's integration, for a period of its own. */
async function scheduledRun(orgId: string, type: string): Promise<string> {
  const period = new Date(Date.UTC(2026, 10, 1) + periodCounter++ * 5 * MINUTE);
  return repos.runLog.insertRunLog(orgId, type, 'scheduler', {
    scheduledFor: period,
    idempotencyKey: `${type}:${period.toISOString()}`,
  });
}

/** A scheduler run of the org's integration, failed with `message` by its final write. */
async function failedScheduledRun(orgId: string, type: string, message: string): Promise<string> {
  const id = await scheduledRun(orgId, type);
  await repos.runLog.updateRunLogStatus(id, 'failed', 0, 0, message);
  return id;
}

async function openAlerts(orgId: string) {
  return db.sql<{ id: string; integration_type: string; run_id: string; details: Record<string, unknown> }[]>`
    select id, integration_type, run_id, details from public.sync_alerts
    where org_id = ${orgId} and kind = 'run_failed' and acknowledged_at is null order by created_at`;
}

/** record_run_failure called again as the service role (a retry; the demo seed): the alert this call opened. */
async function recordRunFailure(runId: string, sql: Sql = db.sql): Promise<unknown[]> {
  return (await callRpc(createSqlRpc(sql, SERVICE), 'record_run_failure', { p_run_id: runId })) as unknown[];
}

describe("a failed scheduled run's alert, recorded by its final write", () => {
  it('opens one alert for a failed scheduled run, with the period and the message', async () => {
    const org = newOrg();
    const runId = await failedScheduledRun(org, 'xledger', 'xledger: GET /api/transactions refused the credentials');
    const alert = await repos.scheduler.runAlert(org, runId, 'run_failed');
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

  it('counts later failures into the open alert (nothing to notify), and a retried record counts nothing', async () => {
    const org = newOrg();
    const first = await failedScheduledRun(org, 'bufdir', 'first failure');
    expect(await repos.scheduler.runAlert(org, first, 'run_failed')).not.toBeNull();
    const second = await failedScheduledRun(org, 'bufdir', 'second failure');
    expect(await repos.scheduler.runAlert(org, second, 'run_failed')).toBeNull();
    expect(await recordRunFailure(second)).toEqual([]);
    expect(await recordRunFailure(first)).toEqual([]);
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
    const first = await repos.scheduler.runAlert(org, await failedScheduledRun(org, 'dynamics', 'down'), 'run_failed');
    const integrations = new IntegrationsRepository(createSqlRpc(db.sql, SERVICE));
    await integrations.acknowledgeAlert(org, first?.id as string, null);
    const next = await repos.scheduler.runAlert(
      org,
      await failedScheduledRun(org, 'dynamics', 'down again'),
      'run_failed',
    );
    expect(next).not.toBeNull();
    expect(next?.id).not.toBe(first?.id);
    expect(next?.details.failed_count).toBe(1);
    const other = await repos.scheduler.runAlert(
      org,
      await failedScheduledRun(org, 'xledger', 'refused'),
      'run_failed',
    );
    expect(other?.integrationType).toBe('xledger');
    expect((await openAlerts(org)).map((a) => a.integration_type).sort()).toEqual(['dynamics', 'xledger']);
  });

  it('record_run_failure of one integration from many connections at once: one alert, every failure counted', async () => {
    const org = newOrg();
    const runs: string[] = [];
    for (let i = 0; i < 8; i++) {
      // Failed by a plain update (as the demo seed writes history), so nothing has recorded them yet.
      const runId = await scheduledRun(org, 'xledger');
      await db.sql`update public.sync_run_log set status = 'failed', ended_at = now(), error_message = ${`failure ${i}`}
        where id = ${runId}`;
      runs.push(runId);
    }
    expect(await alertsOf(db.sql, org)).toEqual([]);
    // Each call over a connection of its own, connected first, then all at once.
    const pools = runs.map(() => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(pools.map((pool) => pool`select 1`));
      const opened = await Promise.all(runs.map((runId, i) => recordRunFailure(runId, pools[i] as Sql)));
      expect(opened.filter((rows) => rows.length > 0)).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    const open = await openAlerts(org);
    expect(open).toHaveLength(1);
    expect(open[0]?.details.failed_count).toBe(8);
  });

  it('is one write with the failure: an alert that cannot be recorded leaves the run running and writes nothing', async () => {
    const org = newOrg();
    const runId = await scheduledRun(org, 'xledger');
    // The alert's insert refused (as any error in it would be): the final write fails whole.
    await db.sql`revoke insert on table public.sync_alerts from service_role`;
    try {
      await expect(repos.runLog.updateRunLogStatus(runId, 'failed', 0, 0, 'refused')).rejects.toMatchObject({
        code: 'internal',
        details: { databaseCode: '42501' },
      });
    } finally {
      await db.sql`grant insert on table public.sync_alerts to service_role`;
    }
    const [run] = await db.sql<{ status: string }[]>`select status from public.sync_run_log where id = ${runId}`;
    expect(run?.status).toBe('running');
    expect(await alertsOf(db.sql, org)).toEqual([]);
    // Its retry writes both.
    await repos.runLog.updateRunLogStatus(runId, 'failed', 0, 0, 'refused');
    expect(await repos.scheduler.runAlert(org, runId, 'run_failed')).toMatchObject({ kind: 'run_failed', runId });
  });

  it('records nothing for a failed manual run, nor for a scheduled run completed or cancelled', async () => {
    const org = newOrg();
    const manual = await repos.runLog.insertRunLog(org, 'xledger', 'manual');
    await repos.runLog.updateRunLogStatus(manual, 'failed', 0, 0, 'refused');
    expect(await repos.scheduler.runAlert(org, manual, 'run_failed')).toBeNull();
    expect(await recordRunFailure(manual)).toEqual([]);
    await repos.runLog.updateRunLogStatus(await scheduledRun(org, 'dynamics'), 'completed', 5, 1, null);
    await repos.runLog.updateRunLogStatus(await scheduledRun(org, 'bufdir'), 'cancelled', null, null, null);
    expect(await alertsOf(db.sql, org)).toEqual([]);
  });

  it('record_run_failure refuses a run that has not failed (invalid_argument) and an unknown one (not_found)', async () => {
    const org = newOrg();
    const running = await scheduledRun(org, 'xledger');
    await expect(recordRunFailure(running)).rejects.toMatchObject({ code: 'invalid_argument' });
    await repos.runLog.updateRunLogStatus(running, 'completed', 5, 0, null);
    await expect(recordRunFailure(running)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(recordRunFailure(newOrg())).rejects.toMatchObject({ code: 'not_found' });
    expect(await alertsOf(db.sql, org)).toEqual([]);
  });

  it("is the service role's alone: a user may neither record nor read it, nor change an alert's details", async () => {
    const org = newOrg();
    const runId = await failedScheduledRun(org, 'xledger', 'refused');
    const admin = userClaims(org, 'admin');
    expect(await sqlstate(asAuthenticated(db.sql, admin, (tx) => tx`select public.record_run_failure(${runId})`))).toBe(
      '42501',
    );
    expect(
      await sqlstate(
        asAuthenticated(db.sql, admin, (tx) => tx`select public.run_alert(${org}, ${runId}, 'run_failed')`),
      ),
    ).toBe('42501');
    const alert = await repos.scheduler.runAlert(org, runId, 'run_failed');
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

describe('acknowledging a run_failed alert with the failures seen', () => {
  const integrations = () => new IntegrationsRepository(createSqlRpc(db.sql, SERVICE));

  async function openAlertOf(org: string, failures: number): Promise<{ id: string; count: number }> {
    for (let i = 0; i < failures; i++) await failedScheduledRun(org, 'xledger', `failure ${i + 1}`);
    const [alert, ...others] = await openAlerts(org);
    expect(others).toEqual([]);
    return { id: alert?.id as string, count: alert?.details.failed_count as number };
  }

  it('acknowledges with the count it holds (or more); refuses fewer with alert_changed, the count now, changing nothing', async () => {
    const org = newOrg();
    const alert = await openAlertOf(org, 3);
    expect(alert.count).toBe(3);
    const refused = await integrations()
      .acknowledgeAlert(org, alert.id, null, 2)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'alert_changed',
      status: 409,
      message: 'the alert has changed: 3 failures now, 2 seen',
      details: { failedCount: 3 },
    });
    expect(await openAlerts(org)).toHaveLength(1);
    const done = await integrations().acknowledgeAlert(org, alert.id, null, 3);
    expect(done.acknowledgedAt).not.toBeNull();
    expect(await openAlerts(org)).toEqual([]);
    // The first acknowledgement is kept, whatever count comes with another.
    expect(await integrations().acknowledgeAlert(org, alert.id, randomUUID(), 1)).toEqual(done);
    // A count above what it holds acknowledges too: nothing unseen is closed.
    const next = await openAlertOf(org, 1);
    expect((await integrations().acknowledgeAlert(org, next.id, null, 5)).acknowledgedAt).not.toBeNull();
  });

  it('SR009 carries the count now in DETAIL; a count under 1 is SR005; another org is SR003 before any count', async () => {
    const org = newOrg();
    const alert = await openAlertOf(org, 2);
    const failure = await asRole(
      db.sql,
      SERVICE,
      (tx) => tx`select public.acknowledge_sync_alert(${org}, ${alert.id}, null, 1)`,
    ).catch((e: { code: string; detail: string }) => e);
    expect(failure).toMatchObject({ code: 'SR009', detail: '2' });
    for (const seen of [0, -1]) {
      expect(
        await sqlstate(
          asRole(db.sql, SERVICE, (tx) => tx`select public.acknowledge_sync_alert(${org}, ${alert.id}, null, ${seen})`),
        ),
      ).toBe('SR005');
    }
    expect(
      await sqlstate(
        asRole(db.sql, SERVICE, (tx) => tx`select public.acknowledge_sync_alert(${newOrg()}, ${alert.id}, null, 1)`),
      ),
    ).toBe('SR003');
    expect(await openAlerts(org)).toHaveLength(1);
    // One function: a call with three arguments, by position or by name, is not ambiguous.
    const [{ n }] =
      (await db.sql`select count(*)::int as n from pg_proc where proname = 'acknowledge_sync_alert'`) as unknown as [
        { n: number },
      ];
    expect(n).toBe(1);
    await asRole(db.sql, SERVICE, (tx) => tx`select public.acknowledge_sync_alert(${org}, ${alert.id}, null)`);
    expect(await openAlerts(org)).toEqual([]);
  });

  /** Connections of their own, one transaction each: what two requests at the same moment are. */
  async function twoConnections(): Promise<[Sql, Sql]> {
    const pools = [0, 1].map(() => postgres(db.url, { max: 1, onnotice: () => {} })) as [Sql, Sql];
    await Promise.all(pools.map((pool) => pool`select 1`));
    return pools;
  }

  /** Until a backend waits for a lock while running `text` (the second of two racing transactions is blocked). */
  async function waitingOnLock(text: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const [row] = await db.sql`select count(*)::int as n from pg_stat_activity
        where wait_event_type = 'Lock' and query like ${`%${text}%`}`;
      if (row?.n) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`nothing waited for a lock running ${text}`);
  }

  it('a failure counted in while the acknowledgement waits for the row: refused, and the alert counts it', async () => {
    const org = newOrg();
    const alert = await openAlertOf(org, 2);
    const run = await scheduledRun(org, 'xledger');
    const [failing, acknowledging] = await twoConnections();
    try {
      let acknowledged: Promise<unknown> = Promise.resolve();
      await failing.begin(async (tx) => {
        // The final write of a third failure counts it into the alert, and holds the row until it commits.
        await tx`select public.update_run_log_status(${run}, 'failed', 0, 0, 'third failure')`;
        acknowledged = asRole(
          acknowledging,
          SERVICE,
          (ack) => ack`select public.acknowledge_sync_alert(${org}, ${alert.id}, null, 2)`,
        ).catch((e: unknown) => e);
        await waitingOnLock('acknowledge_sync_alert');
      });
      expect(await acknowledged).toMatchObject({ code: 'SR009', detail: '3' });
    } finally {
      await Promise.all([failing.end(), acknowledging.end()]);
    }
    const [open] = await openAlerts(org);
    expect(open).toMatchObject({ id: alert.id, details: { failed_count: 3, last_run_id: run } });
  });

  it('a failure recorded while an acknowledgement holds the row: it waits, then opens a new alert', async () => {
    const org = newOrg();
    const alert = await openAlertOf(org, 2);
    const run = await scheduledRun(org, 'xledger');
    const [failing, acknowledging] = await twoConnections();
    try {
      let failed: Promise<unknown> = Promise.resolve();
      await asRole(acknowledging, SERVICE, async (ack) => {
        await ack`select public.acknowledge_sync_alert(${org}, ${alert.id}, null, 2)`;
        failed = failing`select public.update_run_log_status(${run}, 'failed', 0, 0, 'third failure')`.execute();
        await waitingOnLock('update_run_log_status');
      });
      await failed;
    } finally {
      await Promise.all([failing.end(), acknowledging.end()]);
    }
    const [acknowledged] = await db.sql<{ acknowledged_at: Date | null; details: Record<string, unknown> }[]>`
      select acknowledged_at, details from public.sync_alerts where id = ${alert.id}`;
    expect(acknowledged?.acknowledged_at).toBeInstanceOf(Date);
    expect(acknowledged?.details.failed_count).toBe(2);
    const [next, ...others] = await openAlerts(org);
    expect(others).toEqual([]);
    expect(next).toMatchObject({ run_id: run, details: { failed_count: 1 } });
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

  /** An org whose bufdir credentials the vendor refuses, its every-minute schedule ticked `periods` times. */
  async function refusedPeriods(periods: number, wrap: (port: RpcPort) => RpcPort = (port) => port) {
    const orgId = newOrg();
    const service = createSqlRpc(db.sql, SERVICE);
    await connect(service, orgId, 'bufdir', WRONG_CREDENTIALS.bufdir, {
      settings: { organisationNumber: '974760673' },
    });
    const pool = postgres(db.url, { max: 3, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
    pools.push(pool);
    const log = recordingLogger();
    const runtime = createSchedulerRuntime({
      rpc: wrap(createSqlRpc(pool, SERVICE)),
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
    for (let period = 0; period < periods; period++) {
      const report = await tick(plus(base, period * MINUTE + 5_000), runtime.deps);
      expect(report.started.filter((s) => s.orgId === orgId)).toHaveLength(1);
      await runtime.executor.idle();
    }
    const runs = await db.sql<{ id: string; status: string; error_message: string }[]>`
      select id, status, error_message from public.sync_run_log where org_id = ${orgId} order by scheduled_for`;
    return {
      runs,
      log,
      alerts: await alertsOf(db.sql, orgId),
      posted: posted.filter((body) => body.orgId === orgId),
      told: log.lines.filter((line) => line.fields.event === 'sync_alert' && line.fields.orgId === orgId),
    };
  }

  it('is one run_failed alert, one log line and one webhook POST, however many periods fail after it', async () => {
    const { runs, log, alerts, posted: mine, told } = await refusedPeriods(2);
    expect(runs.map((run) => run.status)).toEqual(['failed', 'failed']);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'run_failed', run_id: runs[0]?.id })]);
    expect(alerts[0]?.details).toMatchObject({
      failed_count: 2,
      error_message: runs[0]?.error_message,
      last_run_id: runs[1]?.id,
    });
    expect(runs[0]?.error_message).toContain('refused the credentials (HTTP 401)');
    expect(mine).toEqual([
      expect.objectContaining({
        type: 'sync_alert',
        kind: 'run_failed',
        integrationType: 'bufdir',
        runId: runs[0]?.id,
      }),
    ]);
    expect(told).toHaveLength(1);
    expect(JSON.stringify([alerts, mine, log.lines])).not.toContain(WRONG_CREDENTIALS.bufdir.apiKey);
  });

  it('is a row all the same when the database cannot be reached after the final write (then it is not told)', async () => {
    const unreachable = (port: RpcPort): RpcPort => ({
      rpc: (fn, args) => (fn === 'run_alert' ? Promise.reject(new Error('ECONNREFUSED')) : port.rpc(fn, args)),
    });
    const { runs, log, alerts, posted: mine, told } = await refusedPeriods(1, unreachable);
    expect(runs.map((run) => run.status)).toEqual(['failed']);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'run_failed', run_id: runs[0]?.id })]);
    expect(mine).toEqual([]);
    expect(told).toEqual([]);
    expect(log.lines.map((line) => line.fields)).toContainEqual(
      expect.objectContaining({ event: 'run_end_listener_failed', runId: runs[0]?.id, code: 'unavailable' }),
    );
  });

  it("is recorded when the final write's answer is lost and its retry finds the run ended", async () => {
    let failedWrites = 0;
    const answerLost = (port: RpcPort): RpcPort => ({
      rpc: async (fn, args) => {
        const result = await port.rpc(fn, args);
        if (fn === 'update_run_log_status' && args?.p_status === 'failed' && failedWrites++ === 0) {
          throw new Error('ECONNRESET'); // written, and the answer never came back
        }
        return result;
      },
    });
    const { runs, log, alerts } = await refusedPeriods(1, answerLost);
    expect(failedWrites).toBe(2); // the write and its retry
    expect(runs.map((run) => run.status)).toEqual(['failed']);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'run_failed', run_id: runs[0]?.id })]);
    expect(log.lines.map((line) => line.fields)).toContainEqual(
      expect.objectContaining({ event: 'run_ended_elsewhere', runId: runs[0]?.id }),
    );
  });
});

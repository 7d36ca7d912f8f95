// Drift and cold starts: a run that starts more than 5 minutes after its period is an alert row, a structured log
// line and a POST to ALERT_WEBHOOK_URL; a warm-up ping ahead of a period that answers slower than the threshold is
// a cold-start incident. Real HTTP servers on free ports; the latency clock is injected.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tick } from '../../supabase/functions/_shared/scheduler/tick.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { alertsOf, databaseNow, floorTo, MINUTE, newOrg, plus, recordingLogger, repositories } from './helpers.ts';

let db: TestDatabase;
let repos: ReturnType<typeof repositories>;
let server: Server;
let baseUrl: string;
const received: { path: string; body: string }[] = [];
/** Added to the fake latency clock when a request arrives: how slow the next answer "is". */
let delayNextMs: number[] = [];
let fakeMs = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  repos = repositories(db.sql);
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ path: request.url ?? '', body });
      fakeMs += delayNextMs.shift() ?? 5;
      response
        .writeHead(request.url?.startsWith('/hook') ? 204 : 200)
        .end(request.url?.startsWith('/hook') ? undefined : 'warm');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await db.drop();
});

describe('drift', () => {
  it('a run started more than 5 minutes after its period: alert row, log line and webhook POST, once', async () => {
    const org = newOrg();
    const now = await databaseNow(db.sql);
    const late = new Date(floorTo(now, 1).getTime() - 7 * MINUTE);
    // Hourly at the minute that was 7 minutes ago (in UTC, whole minutes): that period is due and 7+ minutes late.
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: `${late.getUTCMinutes()} * * * *`,
      timeZone: 'UTC',
      activeFrom: plus(now, -30 * MINUTE),
    });
    const log = recordingLogger();
    received.length = 0;
    const report = await tick(now, { ...repos, log, alertWebhookUrl: `${baseUrl}/hook?token=secret` });

    const started = report.started.find((s) => s.orgId === org);
    expect(started?.period).toBe(late.toISOString());
    expect(started?.driftSeconds).toBeGreaterThan(7 * 60);
    const alerts = await alertsOf(db.sql, org);
    expect(alerts).toEqual([
      expect.objectContaining({
        kind: 'schedule_drift',
        run_id: started?.runId,
        details: expect.objectContaining({ threshold_seconds: 300 }),
      }),
    ]);
    expect(Number(alerts[0]?.details.drift_seconds)).toBe(started?.driftSeconds);
    const line = log.lines.find((l) => l.fields.event === 'sync_alert' && l.fields.orgId === org);
    expect(line).toMatchObject({ level: 'warn', fields: { kind: 'schedule_drift', runId: started?.runId } });
    const posted = received.filter((r) => r.path.startsWith('/hook')).map((r) => JSON.parse(r.body));
    expect(posted).toEqual([
      expect.objectContaining({ type: 'sync_alert', kind: 'schedule_drift', orgId: org, runId: started?.runId }),
    ]);
    expect(JSON.stringify(log.lines)).not.toContain('token=secret');

    // The database records each run's drift alert once, whoever checks again.
    expect((await repos.scheduler.checkRunDrift(started?.runId as string, 300)).alertId).toBeNull();
  });

  it('a run within 5 minutes of its period raises nothing', async () => {
    const org = newOrg();
    const now = await databaseNow(db.sql);
    const recent = new Date(floorTo(now, 1).getTime() - MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'dynamics',
      cronExpression: `${recent.getUTCMinutes()} * * * *`,
      timeZone: 'UTC',
      activeFrom: plus(now, -30 * MINUTE),
    });
    const report = await tick(now, repos);
    const started = report.started.find((s) => s.orgId === org);
    expect(started?.driftSeconds).toBeGreaterThanOrEqual(60);
    expect(started?.driftSeconds).toBeLessThan(300);
    expect(await alertsOf(db.sql, org)).toEqual([]);
  });

  it('an unreachable webhook is logged without its URL and does not break the tick', async () => {
    const org = newOrg();
    const now = await databaseNow(db.sql);
    const late = new Date(floorTo(now, 1).getTime() - 9 * MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'bufdir',
      cronExpression: `${late.getUTCMinutes()} * * * *`,
      timeZone: 'UTC',
      activeFrom: plus(now, -30 * MINUTE),
    });
    const log = recordingLogger();
    const report = await tick(now, { ...repos, log, alertWebhookUrl: 'http://127.0.0.1:1/hook?token=secret' });
    expect(report.started.some((s) => s.orgId === org)).toBe(true);
    expect(report.errors).toEqual([]);
    expect(log.lines.some((l) => l.fields.event === 'alert_webhook_failed')).toBe(true);
    expect(JSON.stringify(log.lines)).not.toContain('token=secret');
  });
});

describe('warm-up', () => {
  it('pings the function 30-90 s ahead of a period; a slow first answer is a cold-start incident', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), 10 * MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    const log = recordingLogger();
    const warmUp = {
      url: (type: string) => (type === 'xledger' ? `${baseUrl}/functions/v1/sync-scheduler/warm` : null),
      coldStartThresholdMs: 2_000,
      elapsed: () => fakeMs,
    };
    received.length = 0;

    // 15 s before a period: too close (the tick a minute earlier was the warm-up tick).
    const close = await tick(plus(base, -15_000), { ...repos, log, warmUp });
    expect(close.warmUps).toEqual([]);

    delayNextMs = [4_500]; // the cold first answer
    const cold = await tick(plus(base, 30_000), { ...repos, log, warmUp });
    expect(cold.warmUps).toEqual([
      expect.objectContaining({
        integrationType: 'xledger',
        period: plus(base, MINUTE).toISOString(),
        coldStart: true,
        latencyMs: 4_500,
      }),
    ]);
    expect(cold.warmUps[0]?.orgIds).toContain(org);
    const warm = await tick(plus(base, 90_000), { ...repos, log, warmUp });
    expect(warm.warmUps).toEqual([
      expect.objectContaining({ period: plus(base, 2 * MINUTE).toISOString(), coldStart: false }),
    ]);

    expect(received.filter((r) => r.path === '/functions/v1/sync-scheduler/warm')).toHaveLength(2);
    const alerts = (await alertsOf(db.sql, org)).filter((a) => a.kind === 'cold_start');
    expect(alerts).toEqual([
      expect.objectContaining({
        details: expect.objectContaining({
          latencyMs: 4500,
          thresholdMs: 2000,
          period: plus(base, MINUTE).toISOString(),
        }),
      }),
    ]);
    expect(log.lines.some((l) => l.fields.event === 'cold_start' && l.level === 'warn')).toBe(true);
  });

  it('a ping that gets no answer in time is a cold-start incident too', async () => {
    const org = newOrg();
    const base = plus(floorTo(await databaseNow(db.sql), 1), 20 * MINUTE);
    await repos.scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'bufdir',
      cronExpression: '* * * * *',
      activeFrom: base,
    });
    const warmUp = { url: () => 'http://127.0.0.1:1/unreachable', timeoutMs: 2_000 };
    const report = await tick(plus(base, 30_000), { ...repos, warmUp });
    const mine = report.warmUps.filter((w) => w.orgIds.includes(org));
    expect(mine).toEqual([expect.objectContaining({ coldStart: true, error: 'warm-up could not connect' })]);
    expect((await alertsOf(db.sql, org)).map((a) => a.kind)).toContain('cold_start');
  });
});

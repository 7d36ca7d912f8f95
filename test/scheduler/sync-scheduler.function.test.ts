// The sync-scheduler Edge Function under real Deno (the local functions host), over HTTP: POST /tick is for the
// service role only, ticks with the real clock, and the runs it starts are executed in the background by the real
// adapters with the org's connection (credentials from the local Vault) against the simulated vendor APIs, end to
// end, into the run log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Harness, newOrg, serviceToken, startHarness, userToken } from '../functions/harness.ts';
import { LOCAL_CREDENTIALS, type SimulatedApis, startApis } from '../integrations/simulated.ts';
import { connect, repositories } from './helpers.ts';

let apis: SimulatedApis;
let harness: Harness;

beforeAll(async () => {
  apis = await startApis();
  const env: Record<string, string> = { SCHEDULER_WARM_UP_LEAD_MS: '30000' };
  for (const [key, value] of Object.entries(apis.env)) if (value !== undefined) env[key] = value;
  harness = await startHarness(env);
}, 180_000);
afterAll(async () => {
  await harness?.stop();
  await apis?.stop();
});

const tickUrl = () => harness.url('sync-scheduler', '/tick');

describe('sync-scheduler Edge Function', () => {
  it('refuses anyone but the service role, and other methods', async () => {
    expect((await call(tickUrl(), { method: 'POST' })).status).toBe(401);
    const admin = await call(tickUrl(), { method: 'POST', token: await userToken(newOrg(), 'admin') });
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe('forbidden');
    expect((await call(tickUrl(), { method: 'GET', token: await serviceToken() })).status).toBe(405);
  });

  it('GET /warm answers at once (the warm-up target)', async () => {
    const warm = await call(harness.url('sync-scheduler', '/warm'));
    expect(warm.status).toBe(200);
    expect(warm.body.warm).toBe(true);
  });

  it('POST /tick starts the due period and the run is synced through the real adapter into the run log', async () => {
    const org = newOrg();
    const { scheduler, port } = repositories(harness.db.sql);
    await connect(port, org, 'xledger', LOCAL_CREDENTIALS.xledger);
    await scheduler.upsertSchedule({
      orgId: org,
      integrationType: 'xledger',
      cronExpression: '* * * * *',
      activeFrom: new Date(Date.now() - 2 * 60_000),
    });
    const first = await call(tickUrl(), { method: 'POST', token: await serviceToken() });
    expect(first.status).toBe(200);
    const started = first.body.started.filter((s: { orgId: string }) => s.orgId === org);
    expect(started).toHaveLength(1);
    expect(started[0].period).toMatch(/:00\.000Z$/);

    // The sync goes on after the response: wait for the run log to say it ended (bounded by the test timeout).
    let run: { status: string; records_processed: number; error_message: string | null } | undefined;
    for (let i = 0; i < 300; i++) {
      [run] = await harness.db.sql<{ status: string; records_processed: number; error_message: string | null }[]>`
        select status, records_processed, error_message from public.sync_run_log where id = ${started[0].runId}`;
      if (run && run.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(run).toMatchObject({ status: 'completed', error_message: null });
    expect(run?.records_processed).toBeGreaterThan(0);

    // Again: the period is not started twice. The sync took seconds, so the next minute's period may be due by now
    // (under coverage, once, the minute had ended before the second tick), and a second tick starts that one only.
    const second = await call(tickUrl(), { method: 'POST', token: await serviceToken() });
    expect(second.status).toBe(200);
    const again = second.body.started.filter((s: { orgId: string }) => s.orgId === org);
    expect(again.every((s: { period: string }) => Date.parse(s.period) > Date.parse(started[0].period))).toBe(true);
    expect(again.length).toBeLessThanOrEqual(1);
    const [{ runs }] = (await harness.db.sql`select count(*)::int as runs from public.sync_run_log
      where org_id = ${org} and scheduled_for = ${started[0].period}`) as unknown as [{ runs: number }];
    expect(runs).toBe(1);
    expect(harness.logs.some((line) => line.includes('"event":"tick"'))).toBe(true);
  }, 60_000);
});

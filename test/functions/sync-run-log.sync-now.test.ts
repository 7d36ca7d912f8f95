// "Sync now" end to end: a coordinator's or admin's POST /runs queues a run only for an integration the project
// knows and the org has an enabled connection for; the service role's POST /runs still records a run it executes
// itself. (20 concurrent clicks: sync-run-log.concurrency.test.ts; the hand-off: sync-now.node.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, type Harness, newOrg, serviceToken, startHarness, userToken } from './harness.ts';
import { connect } from './sync-run-log.setup.ts';

let h: Harness;
const u = (path: string) => h.url('sync-run-log', path);
const runsOf = async (org: string) =>
  h.db.sql`select integration_type, status, triggered_by from public.sync_run_log where org_id = ${org}`;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.stop());

describe('POST /runs by a coordinator or admin', () => {
  it('an integration no adapter knows is 400, naming the ones it knows; nothing is written', async () => {
    const org = newOrg();
    const res = await call(u('/runs'), {
      method: 'POST',
      token: await userToken(org),
      body: { integrationType: 'sharepoint' },
    });
    expectError(res, 400, 'invalid_argument');
    expect(res.body.error.message).toMatch(
      /"sharepoint" is not an integration this project knows \(xledger, dynamics, bufdir\)/,
    );
    expect(await runsOf(org)).toEqual([]);
  });

  it('a known one without a connection, with a disabled one, or after it was deleted is 409 not_configured', async () => {
    const org = newOrg();
    const coordinator = await userToken(org);
    const admin = await userToken(org, 'admin');
    const click = () => call(u('/runs'), { method: 'POST', token: coordinator, body: { integrationType: 'bufdir' } });
    expectError(await click(), 409, 'not_configured');
    const put = (enabled: boolean) =>
      call(u('/integrations/bufdir/connection'), {
        method: 'PUT',
        token: admin,
        body: { credentials: { apiKey: 'local-bufdir-key' }, enabled },
      });
    await put(false);
    const disabled = await click();
    expectError(disabled, 409, 'not_configured');
    expect(disabled.body.error.message).toMatch(/bufdir is not configured/);
    await put(true);
    expect((await click()).status).toBe(201);
    await call(u('/integrations/bufdir/connection'), { method: 'DELETE', token: admin });
    const [queued] = await h.db.sql<{ id: string }[]>`select id from public.sync_run_log where org_id = ${org}`;
    await call(u(`/runs/${queued?.id}`), { method: 'PATCH', token: coordinator, body: { status: 'cancelled' } });
    expectError(await click(), 409, 'not_configured');
    expect(await runsOf(org)).toEqual([{ integration_type: 'bufdir', status: 'cancelled', triggered_by: 'manual' }]);
  });

  it('connected: 201 { run } queued (pending, manual), seen by latest and by the pending filter of the history', async () => {
    const org = newOrg();
    await connect(h, org, ['xledger', 'dynamics']);
    const admin = await userToken(org, 'admin');
    const res = await call(u('/runs'), { method: 'POST', token: admin, body: { integrationType: 'dynamics' } });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({
      orgId: org,
      integrationType: 'dynamics',
      status: 'pending',
      triggeredBy: 'manual',
    });
    expect(res.headers.get('location')).toBe(`/functions/v1/sync-run-log/runs/${res.body.run.id}`);
    const latest = await call(u('/runs/latest'), { token: await userToken(org) });
    expect(latest.body.runs).toEqual([res.body.run]);
    const pending = await call(u('/runs?integrationType=dynamics&status=pending'), { token: admin });
    expect(pending.body.runs.map((r: { id: string }) => r.id)).toEqual([res.body.run.id]);
    const running = await call(u('/runs?integrationType=dynamics&status=running&triggeredBy=manual'), { token: admin });
    expect(running.body).toEqual({ runs: [], nextCursor: null });
  });
});

describe('POST /runs by the service role', () => {
  it('keeps its meaning: records a running run it executes itself, for any org and integration, no connection needed', async () => {
    const org = newOrg();
    const res = await call(u('/runs'), {
      method: 'POST',
      token: await serviceToken(),
      body: { orgId: org, integrationType: 'custom_export', triggeredBy: 'manual' },
    });
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({ orgId: org, integrationType: 'custom_export', status: 'running' });
    expect(await runsOf(org)).toEqual([
      { integration_type: 'custom_export', status: 'running', triggered_by: 'manual' },
    ]);
  });
});

// Org isolation end to end: org A's staff never see, change or learn of org B's runs, connections, schedules,
// periods or alerts, whatever path, query or body they try; B's things stay as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Harness, newOrg, serviceToken, startHarness, userToken } from './harness.ts';
import { connect } from './sync-run-log.setup.ts';

let h: Harness;
const orgA = newOrg();
const orgB = newOrg();
let coordinatorA: string;
let adminA: string;
let adminB: string;
let runB: { id: string };
let alertB: string;
const u = (path: string) => h.url('sync-run-log', path);

beforeAll(async () => {
  h = await startHarness();
  coordinatorA = await userToken(orgA, 'coordinator');
  adminA = await userToken(orgA, 'admin');
  adminB = await userToken(orgB, 'admin');
  const service = await serviceToken();
  await connect(h, orgA, ['xledger']);
  await connect(h, orgB, ['xledger', 'dynamics']);
  await call(u('/integrations/dynamics/connection'), {
    method: 'PUT',
    token: adminB,
    body: {
      settings: { tenantId: 'org-b.onmicrosoft.com' },
      credentials: { clientId: 'b-id', clientSecret: 'b-secret' },
    },
  });
  await call(u('/integrations/dynamics/schedule'), {
    method: 'PUT',
    token: adminB,
    body: { cronExpression: '*/15 * * * *', timeZone: 'UTC' },
  });
  runB = (await call(u('/runs'), { method: 'POST', token: adminB, body: { integrationType: 'xledger' } })).body.run;
  await call(u('/runs'), {
    method: 'POST',
    token: service,
    body: { orgId: orgB, integrationType: 'secret_b', triggeredBy: 'manual' },
  });
  const [alert] = await h.db.sql<{ id: string }[]>`
    select id from public.record_sync_alert(${orgB}::uuid, 'stuck_run', 'dynamics', null, '{}'::jsonb, null)`;
  alertB = alert?.id as string;
});
afterAll(async () => h?.stop());

describe('runs', () => {
  it('latest and history show only the caller org', async () => {
    await call(u('/runs'), { method: 'POST', token: coordinatorA, body: { integrationType: 'xledger' } });
    const latestA = await call(u('/runs/latest'), { token: coordinatorA });
    expect(latestA.body.runs.map((r: { orgId: string }) => r.orgId)).toEqual([orgA]);
    const historyA = await call(u('/runs?integrationType=secret_b'), { token: coordinatorA });
    expect(historyA.body).toEqual({ runs: [], nextCursor: null });
    const latestB = await call(u('/runs/latest'), { token: adminB });
    expect(latestB.body.runs.map((r: { integrationType: string }) => r.integrationType)).toEqual([
      'secret_b',
      'xledger',
    ]);
  });

  it("B's run by id is a 404 for A, exactly like an unknown id", async () => {
    const theirs = await call(u(`/runs/${runB.id}`), { token: coordinatorA });
    const unknown = await call(u(`/runs/${newOrg()}`), { token: coordinatorA });
    expect(theirs.status).toBe(404);
    expect(theirs.body).toEqual(unknown.body);
  });

  it("A cannot cancel B's queued run (404), and it stays queued", async () => {
    const res = await call(u(`/runs/${runB.id}`), {
      method: 'PATCH',
      token: coordinatorA,
      body: { status: 'cancelled' },
    });
    expect(res.status).toBe(404);
    const [row] = await h.db.sql`select status from public.sync_run_log where id = ${runB.id}`;
    expect(row?.status).toBe('pending');
  });

  it('A cannot ask for B by orgId, in the query or the body', async () => {
    for (const path of [
      `/runs/latest?orgId=${orgB}`,
      `/runs?integrationType=xledger&orgId=${orgB}`,
      `/runs/${runB.id}?orgId=${orgB}`,
      `/health?orgId=${orgB}`,
      `/integrations?orgId=${orgB}`,
      `/integrations/dynamics/periods?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&orgId=${orgB}`,
      `/alerts?orgId=${orgB}`,
    ]) {
      expect((await call(u(path), { token: coordinatorA })).status, path).toBe(403);
    }
    const post = await call(u('/runs'), {
      method: 'POST',
      token: coordinatorA,
      body: { orgId: orgB, integrationType: 'xledger' },
    });
    expect(post.status).toBe(403);
    const [counted] = await h.db
      .sql`select count(*)::int as count from public.sync_run_log where org_id = ${orgB} and integration_type = 'xledger'`;
    expect(counted?.count).toBe(1);
  });

  it("A's Sync now of an integration B has queued is not blocked by B (no cross-org signal)", async () => {
    const other = newOrg();
    await connect(h, other, ['xledger']);
    const res = await call(u('/runs'), {
      method: 'POST',
      token: await userToken(other, 'coordinator'),
      body: { integrationType: 'xledger' },
    });
    expect(res.status).toBe(201);
    expect(res.body.run.orgId).toBe(other);
  });

  it('extra claims in a token cannot widen what it sees', async () => {
    const { mintUserToken } = await import('../../src/local/auth-keys.ts');
    const { SECRET } = await import('./harness.ts');
    const sneaky = await mintUserToken(
      { orgId: orgA, userRole: 'admin', extra: { org_ids: [orgB], app_metadata: { org_id: orgB } } },
      { secret: SECRET },
    );
    const res = await call(u('/runs/latest'), { token: sneaky });
    expect(res.body.runs.every((r: { orgId: string }) => r.orgId === orgA)).toBe(true);
    const integrations = await call(u('/integrations'), { token: sneaky });
    expect(
      integrations.body.integrations.every(
        (i: { connection: { orgId: string } | null }) => i.connection?.orgId !== orgB,
      ),
    ).toBe(true);
  });
});

describe('integrations: connections, schedules, periods', () => {
  it("the overview shows A's own connection and none of B's connection, schedule or alerts", async () => {
    const res = await call(u('/integrations'), { token: coordinatorA });
    const byType = Object.fromEntries(
      res.body.integrations.map((i: { integrationType: string }) => [i.integrationType, i]),
    );
    expect(byType.xledger.connection.orgId).toBe(orgA);
    expect(byType.dynamics).toMatchObject({ connection: null, schedule: null, openAlerts: 0 });
    const b = await call(u('/integrations'), { token: adminB });
    const bDynamics = b.body.integrations.find((i: { integrationType: string }) => i.integrationType === 'dynamics');
    expect(bDynamics).toMatchObject({
      connection: { orgId: orgB, settings: { tenantId: 'org-b.onmicrosoft.com' } },
      schedule: { orgId: orgB, cronExpression: '*/15 * * * *' },
      openAlerts: 1,
    });
  });

  it("B's schedule's periods are a 404 for A, the same as an integration without a schedule", async () => {
    const range = 'from=2026-01-01T00:00:00Z&to=2026-01-01T02:00:00Z';
    const theirs = await call(u(`/integrations/dynamics/periods?${range}`), { token: coordinatorA });
    const none = await call(u(`/integrations/bufdir/periods?${range}`), { token: coordinatorA });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.message.replace('dynamics', 'bufdir')).toBe(none.body.error.message);
    expect((await call(u(`/integrations/dynamics/periods?${range}`), { token: adminB })).status).toBe(200);
  });

  it("A's admin changes and deletes only A's connection and schedule; B's stay", async () => {
    const forB = await call(u(`/integrations/dynamics/connection?orgId=${orgB}`), {
      method: 'PUT',
      token: adminA,
      body: { credentials: { clientId: 'a', clientSecret: 'a' } },
    });
    expect(forB.status).toBe(403);
    const own = await call(u('/integrations/dynamics/connection'), {
      method: 'PUT',
      token: adminA,
      body: { settings: { tenantId: 'org-a.onmicrosoft.com' }, credentials: { clientId: 'a', clientSecret: 'a' } },
    });
    expect(own.body.connection.orgId).toBe(orgA);
    expect((await call(u('/integrations/dynamics/connection'), { method: 'DELETE', token: adminA })).status).toBe(204);
    expect((await call(u('/integrations/dynamics/schedule'), { method: 'DELETE', token: adminA })).status).toBe(404);
    const rows = await h.db.sql`
      select c.settings, (select count(*)::int from public.sync_schedules s where s.org_id = c.org_id) as schedules
      from public.sync_connections c where c.org_id = ${orgB} and c.integration_type = 'dynamics'`;
    expect(rows).toEqual([{ settings: { tenantId: 'org-b.onmicrosoft.com' }, schedules: 1 }]);
    const [secret] = await h.db.sql`
      select count(*)::int as count from vault.secrets where name = ${`sync_connection:${orgB}:dynamics`}`;
    expect(secret?.count).toBe(1);
  });
});

describe('alerts', () => {
  it("A sees none of B's alerts and cannot acknowledge one (404, and it stays open)", async () => {
    expect((await call(u('/alerts'), { token: coordinatorA })).body).toEqual({ alerts: [], nextCursor: null });
    const res = await call(u(`/alerts/${alertB}/acknowledge`), { method: 'POST', token: coordinatorA });
    const unknown = await call(u(`/alerts/${newOrg()}/acknowledge`), { method: 'POST', token: coordinatorA });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(unknown.body);
    const [row] = await h.db.sql`select acknowledged_at from public.sync_alerts where id = ${alertB}`;
    expect(row?.acknowledged_at).toBeNull();
    const b = await call(u('/alerts'), { token: adminB });
    expect(b.body.alerts.map((a: { id: string }) => a.id)).toEqual([alertB]);
  });
});

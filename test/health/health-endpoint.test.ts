// End to end: the monitor checks the simulated APIs and writes the health table; the sync-run-log Edge Function
// (real Deno, over HTTP, signed JWTs) serves it as GET /functions/v1/sync-run-log/health, under RLS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHealthChecks } from '../../supabase/functions/_shared/health/monitor.ts';
import { createAdapters } from '../../supabase/functions/_shared/integrations/registry.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { call, type Harness, newOrg, serviceToken, startHarness, userToken } from '../functions/harness.ts';
import { SERVICE } from '../helpers/db.ts';
import { type SimulatedApis, startApis } from '../integrations/simulated.ts';

const NOW = Date.parse('2026-11-28T08:00:00Z');
let h: Harness;
let apis: SimulatedApis;
const orgA = newOrg();
const orgB = newOrg();

beforeAll(async () => {
  apis = await startApis({ now: () => NOW });
  h = await startHarness();
  apis.bufdir.control.set({ down: true });
  apis.dynamics.control.set({ rateLimitNext: { count: 1, retryAfterSeconds: 5400 } });
  await runHealthChecks(new Date(NOW), {
    rpc: createSqlRpc(h.db.sql, SERVICE),
    adapters: createAdapters(apis.env),
    random: () => 0.5,
    log: () => {},
    targets: [
      { orgId: orgA, integrationType: 'xledger' },
      { orgId: orgA, integrationType: 'bufdir' },
      { orgId: orgA, integrationType: 'dynamics' },
      { orgId: orgB, integrationType: 'xledger' },
    ],
  });
}, 120_000);
afterAll(async () => {
  await h?.stop();
  await apis?.stop();
});

const health = (query = '') => h.url('sync-run-log', `/health${query}`);

describe('GET /functions/v1/sync-run-log/health', () => {
  it("shows a coordinator their org's integrations as the monitor left them", async () => {
    const response = await call(health(), { token: await userToken(orgA) });
    expect(response.status).toBe(200);
    const byType = Object.fromEntries(
      (response.body.health as Array<Record<string, unknown>>).map((row) => [row.integrationType, row]),
    );
    expect(Object.keys(byType).sort()).toEqual(['bufdir', 'dynamics', 'xledger']);
    expect(byType.xledger).toMatchObject({ orgId: orgA, status: 'healthy', mode: 'active', consecutiveFailures: 0 });
    expect(byType.bufdir).toMatchObject({
      status: 'unhealthy',
      consecutiveFailures: 1,
      lastError: 'bufdir: health check failed with HTTP 503',
    });
    expect(byType.dynamics).toMatchObject({ mode: 'passive', status: 'unknown' });
    expect(new Date(byType.dynamics?.passiveUntil as string).getTime()).toBe(NOW + 5400 * 1000);
  });

  it('another org sees only its own rows; other app roles see none', async () => {
    const b = await call(health(), { token: await userToken(orgB, 'admin') });
    expect(b.status).toBe(200);
    expect(b.body.health.map((row: { orgId: string }) => row.orgId)).toEqual([orgB]);
    const volunteer = await call(health(), { token: await userToken(orgA, 'volunteer') });
    expect(volunteer.status).toBe(403);
    const crossOrg = await call(health(`?orgId=${orgA}`), { token: await userToken(orgB) });
    expect(crossOrg.status).toBe(403);
  });

  it('needs a token; the service role names the org', async () => {
    expect((await call(health())).status).toBe(401);
    const service = await call(health(`?orgId=${orgA}`), { token: await serviceToken() });
    expect(service.status).toBe(200);
    expect(service.body.health).toHaveLength(3);
  });
});

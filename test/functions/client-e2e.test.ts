// The app client through a real supabase-js client against the function under Deno: the whole path a phone takes,
// in both signing models: HS256 with the legacy secret (the local default) and ES256 against the project's JWKS with
// a secret key for service callers (a hosted project in 2026). Every answer is checked against the OpenAPI document.
import { createClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncRunLogClient, SyncRunLogError } from '../../src/client/index.ts';
import { call, type Harness, newOrg, startHarness } from './harness.ts';
import { checkingFetch } from './openapi-check.ts';
import { connect } from './sync-run-log.setup.ts';

describe.each(['hs256', 'es256'] as const)('signed with %s', (signing) => {
  let h: Harness;
  beforeAll(async () => {
    // The queued run stays queued here (no vendor APIs run in this file); the hand-off: sync-now.e2e.test.ts.
    h = await startHarness({ SYNC_NOW_HAND_OFF: 'off' }, { signing });
  });
  afterAll(async () => h?.stop());
  const userToken = (orgId: string, role: string, options?: { expiresIn?: number }) =>
    h.userToken(orgId, role, options);

  function appClient(token: string) {
    const supabaseUrl = h.host.url.replace(/\/functions\/v1$/, '');
    const supabase = createClient(supabaseUrl, 'local-anon-key', {
      accessToken: async () => token,
      global: { fetch: checkingFetch }, // every answer is checked against the OpenAPI document
    });
    return createSyncRunLogClient(supabase);
  }

  it('Sync now, lists, cancels; typed errors for a second click, an unconnected integration and another org', async () => {
    const orgA = newOrg();
    await connect(h, orgA, ['xledger']);
    const a = appClient(await userToken(orgA, 'coordinator'));
    const b = appClient(await userToken(newOrg(), 'admin'));

    const run = await a.triggerManualSync('xledger');
    expect(run).toMatchObject({ orgId: orgA, integrationType: 'xledger', status: 'pending', triggeredBy: 'manual' });
    const again = await a.triggerManualSync('xledger').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SyncRunLogError);
    expect(again).toMatchObject({ code: 'already_running', details: { existingRunId: run.id, httpStatus: 409 } });
    const unconnected = await a.triggerManualSync('bufdir').catch((e: unknown) => e);
    expect(unconnected).toMatchObject({ code: 'not_configured', status: 409 });
    const unknown = await a.triggerManualSync('sharepoint').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'invalid_argument', status: 400 });

    expect((await a.getLastRunPerIntegration()).map((r) => r.id)).toEqual([run.id]);
    expect(await b.getLastRunPerIntegration()).toEqual([]);
    const theirs = await b.cancelRun(run.id).catch((e: unknown) => e);
    expect((theirs as SyncRunLogError).code).toBe('not_found');

    expect((await a.cancelRun(run.id)).status).toBe('cancelled');
    const history = await a.getRunHistory('xledger', 10);
    expect(history.map((r) => [r.id, r.status])).toEqual([[run.id, 'cancelled']]);
    const twice = await a.cancelRun(run.id).catch((e: unknown) => e);
    expect((twice as SyncRunLogError).code).toBe('not_running');
  });

  it("an admin runs the org's integrations through the client; a coordinator reads them", async () => {
    const org = newOrg();
    const admin = appClient(await userToken(org, 'admin'));
    const coordinator = appClient(await userToken(org, 'coordinator'));

    const connection = await admin.putConnection('dynamics', {
      settings: { tenantId: 'contoso.onmicrosoft.com' },
      credentials: { clientId: 'client-e2e-id', clientSecret: 'client-e2e-secret' },
    });
    expect(connection).toMatchObject({ orgId: org, integrationType: 'dynamics', enabled: true });
    expect(JSON.stringify(connection)).not.toContain('client-e2e-secret');
    const refused = await coordinator
      .putConnection('dynamics', { credentials: { clientId: 'x', clientSecret: 'y' } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'forbidden', status: 403 });

    const schedule = await admin.putSchedule('dynamics', { cronExpression: '0 * * * *', timeZone: 'UTC' });
    expect(schedule.nextPeriods).toHaveLength(3);
    const badCron = await admin.putSchedule('dynamics', { cronExpression: 'every hour' }).catch((e: unknown) => e);
    expect(badCron).toMatchObject({ code: 'invalid_argument' });
    expect((badCron as SyncRunLogError).message).toMatch(/cron/);

    const overview = await coordinator.listIntegrations();
    expect(overview.map((i) => i.integrationType)).toEqual(['xledger', 'dynamics', 'bufdir']);
    expect(overview[1]).toMatchObject({ connection: { id: connection.id }, schedule: { id: schedule.id } });

    const periods = await coordinator.listPeriods('dynamics', {
      from: new Date(Date.parse(schedule.nextPeriods[0] as string)),
      to: schedule.nextPeriods[2] as string,
    });
    expect(periods.map((p) => [p.scheduledFor, p.outcome])).toEqual([
      [schedule.nextPeriods[0], 'upcoming'],
      [schedule.nextPeriods[1], 'upcoming'],
    ]);

    const [alert] = await h.db.sql<{ id: string }[]>`
      select id from public.record_sync_alert(${org}::uuid, 'stuck_run', 'dynamics', null, '{}'::jsonb, null)`;
    const page = await coordinator.listAlerts({ limit: 10 });
    expect(page).toMatchObject({ alerts: [{ id: alert?.id, acknowledgedAt: null }], nextCursor: null });
    expect((await coordinator.acknowledgeAlert(alert?.id as string)).acknowledgedAt).toEqual(expect.any(String));
    expect((await coordinator.listIntegrations())[1]?.openAlerts).toBe(0);
    // A run_failed alert acknowledged with the failures seen: refused while it counts more, with the count now.
    const [failed] = await h.db.sql<{ id: string }[]>`
      select id from public.record_sync_alert(${org}::uuid, 'run_failed', 'dynamics', null,
        '{"failed_count": 3}'::jsonb, null)`;
    const stale = await coordinator.acknowledgeAlert(failed?.id as string, { failedCount: 2 }).catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: 'alert_changed', status: 409, details: { failedCount: 3 } });
    expect((await coordinator.listIntegrations())[1]?.openAlerts).toBe(1);
    const seen = await coordinator.acknowledgeAlert(failed?.id as string, { failedCount: 3 });
    expect(seen.acknowledgedAt).toEqual(expect.any(String));
    expect((await coordinator.listIntegrations())[1]?.openAlerts).toBe(0);

    expect(await coordinator.getHealth()).toEqual([]);
    expect(await coordinator.getRunHistoryPage('dynamics', { status: 'failed', limit: 5 })).toEqual({
      runs: [],
      nextCursor: null,
    });

    await admin.deleteSchedule('dynamics');
    await admin.deleteConnection('dynamics');
    const gone = await admin.deleteConnection('dynamics').catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: 'not_found', status: 404 });
    expect((await coordinator.listIntegrations())[1]).toMatchObject({ connection: null, schedule: null });
  });

  it('an expired session is unauthorized', async () => {
    const client = appClient(await userToken(newOrg(), 'coordinator', { expiresIn: -5 }));
    const error = await client.getLastRunPerIntegration().catch((e: unknown) => e);
    expect((error as SyncRunLogError).code).toBe('unauthorized');
  });

  it('the service caller reads any org (a secret key in apikey with ES256, a service_role JWT with HS256)', async () => {
    const org = newOrg();
    await connect(h, org, ['bufdir']);
    await appClient(await userToken(org, 'admin')).triggerManualSync('bufdir');
    const credential = await h.serviceCredential();
    const headers: Record<string, string> =
      signing === 'es256' ? { apikey: credential } : { authorization: `Bearer ${credential}` };
    const res = await call(h.url('sync-run-log', `/runs/latest?orgId=${org}`), { headers });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.runs.map((r: { integrationType: string }) => r.integrationType)).toEqual(['bufdir']);
  });
});

it('an unreachable function is unavailable', async () => {
  const supabase = createClient('http://127.0.0.1:9', 'k', { accessToken: async () => 'x' });
  const error = await createSyncRunLogClient(supabase)
    .getLastRunPerIntegration()
    .catch((e: unknown) => e);
  expect((error as SyncRunLogError).code).toBe('unavailable');
});

// The alert routes end to end: the org's alerts newest first in keyset pages, acknowledging one (by a coordinator, an
// admin or the service role), and the overview's openAlerts following it; a run_failed alert acknowledged with the
// count of failures its sender saw, refused (409 alert_changed) when more were counted in since. Every response is
// checked against the OpenAPI document (harness.ts's call()).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintUserToken } from '../../src/local/auth-keys.ts';
import { encodeCursor } from '../../supabase/functions/_shared/keyset-cursor.ts';
import { call, expectError, type Harness, newOrg, SECRET, serviceToken, startHarness, userToken } from './harness.ts';
import { connect } from './sync-run-log.setup.ts';

let h: Harness;
const org = newOrg();
const USER_ID = '4d6f3a2e-1b0c-4e5f-8a9b-0c1d2e3f4a5b';
let coordinator: string;
let admin: string;
let service: string;
const ids: string[] = []; // oldest first
const u = (path: string) => h.url('sync-run-log', path);

beforeAll(async () => {
  h = await startHarness();
  coordinator = await mintUserToken({ orgId: org, userRole: 'coordinator', sub: USER_ID }, { secret: SECRET });
  admin = await userToken(org, 'admin');
  service = await serviceToken();
  // The overview lists integrations that have a connection, schedule, health row or run (alerts alone are not one).
  await connect(h, org, ['xledger', 'dynamics']);
  for (let i = 0; i < 5; i++) {
    const [alert] = await h.db.sql<{ id: string }[]>`
      select id from public.record_sync_alert(
        ${org}::uuid, 'schedule_drift', ${i % 2 === 0 ? 'xledger' : 'dynamics'}, null,
        ${h.db.sql.json({ n: i })}, null)`;
    ids.push(alert?.id as string);
  }
});
afterAll(async () => h?.stop());

describe('GET /alerts', () => {
  it('newest first, in keyset pages that add up to all of them', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const res = await call(u(`/alerts?limit=2${before ? `&before=${before}` : ''}`), { token: coordinator });
      expect(res.status).toBe(200);
      expect(res.body.alerts.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.alerts.map((a: { id: string }) => a.id));
      before = res.body.nextCursor;
      pages += 1;
    } while (before !== null);
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toBe(3);
    const all = await call(u('/alerts'), { token: admin });
    expect(all.body.alerts.map((a: { id: string }) => a.id)).toEqual([...ids].reverse());
    expect(all.body.alerts[0]).toMatchObject({ kind: 'schedule_drift', details: { n: 4 }, acknowledgedAt: null });
    expect(all.body.nextCursor).toBeNull();
  });

  it('the service role names the org', async () => {
    expect((await call(u(`/alerts?orgId=${org}&limit=1`), { token: service })).body.alerts).toHaveLength(1);
    expectError(await call(u('/alerts'), { token: service }), 400, 'invalid_argument');
  });

  it.each([
    ['limit=0', /limit/],
    ['limit=1001', /limit/],
    ['limit=-1', /limit/],
    ['before=not*a*cursor', /before/],
    ['before=bm90LWEtY3Vyc29y', /cursor is not valid/],
    // An offset Date.parse takes and PostgreSQL refuses (22009): a 400, not the 500 it once was.
    [`before=${encodeCursor('alerts', { at: '2026-01-01T00:00:00+23:59', id: USER_ID })}`, /cursor is not valid/],
    // Run history's cursor: it would page the alerts from a run's start time.
    [`before=${encodeCursor('runs', { at: '2026-01-01T00:00:00Z', id: USER_ID })}`, /not a nextCursor of alerts/],
    ['after=x', /after/],
  ])('400 for %s', async (query, message) => {
    const res = await call(u(`/alerts?${query}`), { token: coordinator });
    expectError(res, 400, 'invalid_argument');
    expect(res.body.error.message).toMatch(message);
  });
});

describe('POST /alerts/{id}/acknowledge', () => {
  it('a coordinator acknowledges: 200 { alert } with when and who; it stops counting in openAlerts', async () => {
    const overview = async () =>
      (await call(u('/integrations'), { token: coordinator })).body.integrations[0].openAlerts as number;
    expect(await overview()).toBe(3); // xledger: alerts 0, 2, 4
    const res = await call(u(`/alerts/${ids[4]}/acknowledge`), { method: 'POST', token: coordinator });
    expect(res.status).toBe(200);
    expect(res.body.alert).toMatchObject({ id: ids[4], acknowledgedBy: USER_ID, acknowledgedAt: expect.any(String) });
    expect(await overview()).toBe(2);
    // Again, by an admin: the first acknowledgement is kept.
    const again = await call(u(`/alerts/${ids[4]}/acknowledge`), { method: 'POST', token: admin });
    expect(again.body.alert).toEqual(res.body.alert);
  });

  it('the service role acknowledges for an org it names (no user recorded)', async () => {
    const res = await call(u(`/alerts/${ids[2]}/acknowledge?orgId=${org}`), { method: 'POST', token: service });
    expect(res.body.alert).toMatchObject({ id: ids[2], acknowledgedBy: null, acknowledgedAt: expect.any(String) });
    expectError(
      await call(u(`/alerts/${ids[0]}/acknowledge`), { method: 'POST', token: service }),
      400,
      'invalid_argument',
    );
  });

  it('an unknown or malformed id is 404; a user naming an org is 403', async () => {
    expectError(await call(u(`/alerts/${newOrg()}/acknowledge`), { method: 'POST', token: admin }), 404, 'not_found');
    expectError(await call(u('/alerts/42/acknowledge'), { method: 'POST', token: admin }), 404, 'not_found');
    expectError(
      await call(u(`/alerts/${ids[0]}/acknowledge?orgId=${org}`), { method: 'POST', token: admin }),
      403,
      'forbidden',
    );
    const [row] = await h.db.sql`select acknowledged_at from public.sync_alerts where id = ${ids[0] as string}`;
    expect(row?.acknowledged_at).toBeNull();
  });
});

describe('POST /alerts/{id}/acknowledge with the failures seen ({ failedCount })', () => {
  // An org of its own: its run_failed alerts of bufdir, opened and counted into by real failed scheduled runs.
  const failing = newOrg();
  let user: string;
  let outsider: string;
  let periods = 0;

  beforeAll(async () => {
    user = await mintUserToken({ orgId: failing, userRole: 'coordinator', sub: USER_ID }, { secret: SECRET });
    outsider = coordinator; // of the other org
    await connect(h, failing, ['bufdir']);
  });

  /** A scheduled bufdir run failed by its final write, which counts it into the open run_failed alert (or opens one). */
  async function failScheduledRun(): Promise<void> {
    const period = new Date(Date.UTC(2026, 10, 1) + periods++ * 5 * 60_000).toISOString();
    const [run] = await h.db.sql<{ id: string }[]>`
      select public.insert_run_log(${failing}::uuid, 'bufdir', 'scheduler', ${period}::timestamptz,
        ${`bufdir:${period}`}) as id`;
    await h.db.sql`select public.update_run_log_status(${run?.id as string}::uuid, 'failed', 0, 0, 'bufdir: HTTP 503')`;
  }

  /** The open run_failed alert after `failures` more failures (at least one when none is open): id and count. */
  async function openAlert(failures: number): Promise<{ id: string; count: number }> {
    for (let i = 0; i < failures; i++) await failScheduledRun();
    const [alert] = await h.db.sql<{ id: string; count: number }[]>`
      select id, (details ->> 'failed_count')::int as count from public.sync_alerts
      where org_id = ${failing} and kind = 'run_failed' and acknowledged_at is null`;
    return alert as { id: string; count: number };
  }

  const acknowledgedAt = async (id: string) =>
    (await h.db.sql<{ at: Date | null }[]>`select acknowledged_at as at from public.sync_alerts where id = ${id}`)[0]
      ?.at;
  const openAlerts = async () =>
    (await call(u('/integrations'), { token: user })).body.integrations.find(
      (i: { integrationType: string }) => i.integrationType === 'bufdir',
    ).openAlerts as number;
  const acknowledge = (id: string, body?: unknown, more: { token?: string; headers?: Record<string, string> } = {}) =>
    call(u(`/alerts/${id}/acknowledge`), { method: 'POST', token: user, body, ...more });

  it('with the count it saw: acknowledged (200), by whom and when', async () => {
    const alert = await openAlert(2);
    expect(alert.count).toBe(2);
    expect(await openAlerts()).toBe(1);
    const res = await acknowledge(alert.id, { failedCount: 2 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.alert).toMatchObject({
      id: alert.id,
      kind: 'run_failed',
      details: { failed_count: 2 },
      acknowledgedBy: USER_ID,
      acknowledgedAt: expect.any(String),
    });
    expect(await openAlerts()).toBe(0);
  });

  it('with fewer than it counts now: 409 alert_changed with the count now, and the alert stays open', async () => {
    const alert = await openAlert(3); // the page showed 3 failures
    await failScheduledRun(); // a 4th is counted in before Acknowledge is pressed
    const res = await acknowledge(alert.id, { failedCount: 3 });
    expectError(res, 409, 'alert_changed');
    expect(res.body.error.details).toEqual({ failedCount: 4 });
    expect(res.body.error.message).toBe('the alert has changed: 4 failures now, 3 seen');
    expect(await acknowledgedAt(alert.id)).toBeNull();
    expect(await openAlerts()).toBe(1);
    // It goes on counting failures (no new alert is opened), and the count seen now acknowledges it.
    expect(await openAlert(1)).toEqual({ id: alert.id, count: 5 });
    const seen = await acknowledge(alert.id, { failedCount: 5 });
    expect(seen.status).toBe(200);
    expect(await openAlerts()).toBe(0);
    // Acknowledged already: the first acknowledgement is kept, whatever count comes with another.
    const kept = await acknowledge(alert.id, { failedCount: 1 });
    expect(kept.body.alert).toEqual(seen.body.alert);
  });

  it('without a body, with an empty one or with {}: acknowledged whatever it counts, as before', async () => {
    for (const [body, headers] of [
      [undefined, {}],
      ['', { 'content-type': 'application/json' }],
      [' \n', {}],
      [{}, {}],
    ] as const) {
      const alert = await openAlert(2);
      const res = await acknowledge(alert.id, body, { headers });
      expect(res.status, `${JSON.stringify(body)} -> ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.alert).toMatchObject({ id: alert.id, acknowledgedBy: USER_ID });
    }
    expect(await openAlerts()).toBe(0);
  });

  it.each([
    ['failedCount 0', { failedCount: 0 }, /body\.failedCount: must be at least 1/],
    ['failedCount -1', { failedCount: -1 }, /body\.failedCount: must be at least 1/],
    ['failedCount "x"', { failedCount: 'x' }, /body\.failedCount: must be a number/],
    ['failedCount "2"', { failedCount: '2' }, /body\.failedCount: must be a number/],
    ['failedCount 1.5', { failedCount: 1.5 }, /body\.failedCount: must be a whole number/],
    ['failedCount null', { failedCount: null }, /body\.failedCount/],
    ['another field', { failedCount: 2, seen: true }, /seen/],
    ['a misspelt field', { failed_count: 2 }, /failed_count/],
    ['an array', [2], /body: must be a JSON object/],
    ['a number', '2', /body: must be a JSON object/],
    ['JSON null', 'null', /body: must be a JSON object/],
    ['not JSON', '{"failedCount":', /not valid JSON/],
  ])('%s is 400 and acknowledges nothing', async (_name, body, message) => {
    const alert = await openAlert(1);
    const res = await acknowledge(alert.id, body);
    expectError(res, 400, 'invalid_argument');
    expect(res.body.error.message).toMatch(message);
    expect(await acknowledgedAt(alert.id)).toBeNull();
  });

  it('a body that is not JSON is 415 and acknowledges nothing', async () => {
    const alert = await openAlert(1);
    const res = await acknowledge(alert.id, '{"failedCount": 99}', { headers: { 'content-type': 'text/plain' } });
    expectError(res, 415, 'unsupported_media_type');
    expect(await acknowledgedAt(alert.id)).toBeNull();
  });

  it("another org's alert is 404 with a body too, whatever the count, and stays open", async () => {
    const alert = await openAlert(1);
    for (const failedCount of [1, alert.count, 1000]) {
      const res = await acknowledge(alert.id, { failedCount }, { token: outsider });
      expectError(res, 404, 'not_found');
      expect(res.body.error.message).toBe('alert not found');
    }
    expect(await acknowledgedAt(alert.id)).toBeNull();
    // Its own org acknowledges it with the count it holds.
    expect((await acknowledge(alert.id, { failedCount: alert.count })).status).toBe(200);
  });
});

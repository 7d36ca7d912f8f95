// The alert routes end to end: the org's alerts newest first in keyset pages, acknowledging one (by a coordinator, an
// admin or the service role), and the overview's openAlerts following it. Every response is checked against the
// OpenAPI document (harness.ts's call()).
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
    [`before=${encodeCursor({ at: '2026-01-01T00:00:00+23:59', id: USER_ID })}`, /cursor is not valid/],
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

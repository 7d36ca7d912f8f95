// Org isolation, proven by PostgreSQL itself: as `authenticated` with JWT claims (what PostgREST and the SQL
// adapter set per request) and as `anon`.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asAuthenticated,
  asRole,
  createTestDatabase,
  SERVICE,
  sqlstate,
  type TestDatabase,
  userClaims,
} from '../helpers/db.ts';

let db: TestDatabase;
const orgA = randomUUID();
const orgB = randomUUID();
let runB: string;

beforeAll(async () => {
  db = await createTestDatabase();
  for (const org of [orgA, orgB]) {
    for (const integration of ['xledger', 'bufdir']) {
      const [row] = await asRole(
        db.sql,
        SERVICE,
        (tx) => tx`select public.insert_run_log(${org}, ${integration}, 'manual') as id`,
      );
      if (org === orgB && integration === 'xledger') runB = row?.id as string;
    }
  }
});
afterAll(async () => {
  await db.drop();
});

describe('a coordinator or admin of org A', () => {
  for (const role of ['coordinator', 'admin']) {
    it(`(${role}) sees all of org A's runs and none of org B's, by SELECT and by the read functions`, async () => {
      const claims = userClaims(orgA, role);
      const all = await asAuthenticated(db.sql, claims, (tx) => tx`select org_id from public.sync_run_log`);
      expect(all).toHaveLength(2);
      expect(all.every((r) => r.org_id === orgA)).toBe(true);
      expect(
        await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.sync_run_log where org_id = ${orgB}`),
      ).toHaveLength(0);
      expect(
        await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.sync_run_log where id = ${runB}`),
      ).toHaveLength(0);
      expect(
        await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.get_last_run_per_integration(${orgB})`),
      ).toHaveLength(0);
      expect(
        await asAuthenticated(
          db.sql,
          claims,
          (tx) => tx`select * from public.get_run_history(${orgB}, 'xledger', 100)`,
        ),
      ).toHaveLength(0);
      expect(
        await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.get_last_run_per_integration(${orgA})`),
      ).toHaveLength(2);
    });
  }
});

describe('claims that see nothing (no error, no rows)', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['no claims at all', {}],
    ['no org_id claim', { role: 'authenticated', user_role: 'coordinator' }],
    ['a malformed org_id', { role: 'authenticated', org_id: 'not-a-uuid', user_role: 'coordinator' }],
    ['an org_id that is a number', { role: 'authenticated', org_id: 42, user_role: 'admin' }],
    ['an SQL injection in org_id', { role: 'authenticated', org_id: "' or 1=1 --", user_role: 'admin' }],
    ['another org', userClaims(randomUUID())],
    ['user_role volunteer', userClaims(orgA, 'volunteer')],
    ['user_role missing', { role: 'authenticated', org_id: orgA }],
    ['user_role in another case', userClaims(orgA, 'Admin')],
    ['the app role in the `role` claim instead of user_role', { role: 'admin', org_id: orgA }],
  ];
  for (const [name, claims] of cases) {
    it(name, async () => {
      expect(await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.sync_run_log`)).toHaveLength(0);
      expect(
        await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.get_last_run_per_integration(${orgA})`),
      ).toHaveLength(0);
      expect(
        await asAuthenticated(db.sql, claims, (tx) => tx`select * from public.get_run_history(${orgA}, 'xledger', 10)`),
      ).toHaveLength(0);
    });
  }
});

describe('anon', () => {
  it('can read nothing and call nothing', async () => {
    const anon = { role: 'anon' as const, claims: { role: 'anon' } };
    expect(await sqlstate(asRole(db.sql, anon, (tx) => tx`select * from public.sync_run_log`))).toBe('42501');
    expect(
      await sqlstate(asRole(db.sql, anon, (tx) => tx`select * from public.get_last_run_per_integration(${orgA})`)),
    ).toBe('42501');
    expect(
      await sqlstate(asRole(db.sql, anon, (tx) => tx`select * from public.get_run_history(${orgA}, 'xledger', 10)`)),
    ).toBe('42501');
    expect(
      await sqlstate(asRole(db.sql, anon, (tx) => tx`select public.insert_run_log(${orgA}, 'dynamics', 'manual')`)),
    ).toBe('42501');
  });
});

describe('authenticated cannot write', () => {
  const claims = userClaims(orgA, 'admin');
  it('cannot insert, update or delete rows directly, even of its own org', async () => {
    const before = await db.sql`select * from public.sync_run_log order by id`;
    expect(
      await sqlstate(
        asAuthenticated(
          db.sql,
          claims,
          (tx) => tx`insert into public.sync_run_log (org_id, integration_type, started_at, status, triggered_by)
          values (${orgA}, 'dynamics', now(), 'running', 'manual')`,
        ),
      ),
    ).toBe('42501');
    expect(
      await sqlstate(
        asAuthenticated(
          db.sql,
          claims,
          (tx) => tx`update public.sync_run_log set status = 'cancelled' where org_id = ${orgA}`,
        ),
      ),
    ).toBe('42501');
    expect(
      await sqlstate(
        asAuthenticated(db.sql, claims, (tx) => tx`delete from public.sync_run_log where org_id = ${orgA}`),
      ),
    ).toBe('42501');
    expect(await sqlstate(asAuthenticated(db.sql, claims, (tx) => tx`truncate public.sync_run_log`))).toBe('42501');
    expect(await db.sql`select * from public.sync_run_log order by id`).toEqual(before);
  });

  it('cannot call the write functions', async () => {
    expect(
      await sqlstate(
        asAuthenticated(db.sql, claims, (tx) => tx`select public.insert_run_log(${orgA}, 'dynamics', 'manual')`),
      ),
    ).toBe('42501');
    expect(
      await sqlstate(
        asAuthenticated(
          db.sql,
          claims,
          (tx) => tx`select public.update_run_log_status(${runB}, 'cancelled', 0, 0, null)`,
        ),
      ),
    ).toBe('42501');
  });
});

describe('the grants and settings behind it', () => {
  it('RLS is enabled on every public table, and no security definer function is executable by anon or authenticated', async () => {
    const open = await db.sql`select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`;
    expect(open.map((r) => r.relname)).toEqual([]);
    const definers = await db.sql`select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'sync_private') and p.prosecdef
        and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))`;
    expect(definers.map((r) => r.proname)).toEqual([]);
  });

  it('every function of the run log pins search_path to empty', async () => {
    const rows = await db.sql`select p.proname, p.proconfig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'sync_private') and p.proname in
      ('insert_run_log', 'update_run_log_status', 'get_last_run_per_integration', 'get_run_history', 'uuid_or_null', 'enforce_run_status_transition')`;
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row.proconfig, row.proname).toContain('search_path=""');
  });

  it('table privileges: authenticated SELECT only, anon nothing', async () => {
    const rows = await db.sql`select grantee, privilege_type from information_schema.role_table_grants
      where table_schema = 'public' and table_name = 'sync_run_log' and grantee in ('anon', 'authenticated') order by 1, 2`;
    expect(rows.map((r) => `${r.grantee}:${r.privilege_type}`)).toEqual(['authenticated:SELECT']);
  });
});

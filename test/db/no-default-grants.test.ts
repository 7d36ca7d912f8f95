// Where new objects in public get no default grants for anon and authenticated (Supabase's default for new
// projects), the migrations still give every role what it needs: they grant explicitly and rely on no default.
// A fresh database with the local compat SQL, its default grants to anon and authenticated taken back, then the
// migrations; compared with the usual test database (default grants as on older projects) and used for real.
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLocalCompat, migrate } from '../../src/local/migrate.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
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

let bare: TestDatabase; // no default grants to anon and authenticated
let usual: TestDatabase; // the migrated template: Supabase's older default grants
const orgA = randomUUID();
const orgB = randomUUID();

beforeAll(async () => {
  bare = await createTestDatabase({ template: null });
  await applyLocalCompat(bare.sql);
  await bare.sql.unsafe(`
    alter default privileges in schema public revoke all on tables from anon, authenticated;
    alter default privileges in schema public revoke all on functions from anon, authenticated;
    alter default privileges in schema public revoke all on sequences from anon, authenticated;`);
  await migrate(bare.sql);
  usual = await createTestDatabase();
});
afterAll(async () => {
  await bare?.drop();
  await usual?.drop();
});

/** What anon, authenticated and service_role may do with each schema, table, sequence and function, one line each. */
async function apiPrivileges(sql: Sql): Promise<string[]> {
  const rows = await sql<{ line: string }[]>`
    with roles(role) as (values ('anon'), ('authenticated'), ('service_role')),
    schemas as (
      select n.oid, n.nspname from pg_catalog.pg_namespace n
      where n.nspname not like 'pg\\_%' and n.nspname not in ('information_schema', 'supabase_migrations')
    )
    select r.role || ' ' || p.privilege || ' schema ' || s.nspname as line
    from roles r cross join schemas s cross join (values ('usage'), ('create')) as p(privilege)
    where pg_catalog.has_schema_privilege(r.role, s.oid, p.privilege)
    union all
    select r.role || ' ' || p.privilege || ' ' || s.nspname || '.' || c.relname
    from roles r cross join pg_catalog.pg_class c join schemas s on s.oid = c.relnamespace
    cross join (values ('select'), ('insert'), ('update'), ('delete'), ('truncate'), ('references'), ('trigger'))
      as p(privilege)
    where c.relkind in ('r', 'p', 'v', 'm') and pg_catalog.has_table_privilege(r.role, c.oid, p.privilege)
    union all
    select r.role || ' ' || p.privilege || ' sequence ' || s.nspname || '.' || c.relname
    from roles r cross join pg_catalog.pg_class c join schemas s on s.oid = c.relnamespace
    cross join (values ('usage'), ('select'), ('update')) as p(privilege)
    where c.relkind = 'S' and pg_catalog.has_sequence_privilege(r.role, c.oid, p.privilege)
    union all
    select r.role || ' execute ' || s.nspname || '.' || f.proname || '(' || pg_catalog.oidvectortypes(f.proargtypes) || ')'
    from roles r cross join pg_catalog.pg_proc f join schemas s on s.oid = f.pronamespace
    where pg_catalog.has_function_privilege(r.role, f.oid, 'execute')`;
  return rows.map((row) => row.line).sort();
}

describe('a database whose new objects in public get nothing for anon and authenticated', () => {
  it('is one: a table or function made here is not granted to them, where the usual database grants both', async () => {
    const probe = async (sql: Sql) => {
      await sql`create table public.grants_probe (id integer)`;
      await sql`create function public.grants_probe() returns integer language sql set search_path = '' as 'select 1'`;
      const [row] = await sql`
        select pg_catalog.has_table_privilege('authenticated', 'public.grants_probe', 'select') as authenticated_table,
          pg_catalog.has_table_privilege('anon', 'public.grants_probe', 'select') as anon_table,
          pg_catalog.has_function_privilege('authenticated', 'public.grants_probe()', 'execute') as authenticated_fn,
          pg_catalog.has_table_privilege('service_role', 'public.grants_probe', 'select') as service_table`;
      await sql`drop function public.grants_probe()`;
      await sql`drop table public.grants_probe`;
      return row;
    };
    expect(await probe(bare.sql)).toEqual({
      authenticated_table: false,
      anon_table: false,
      authenticated_fn: true, // PostgreSQL's own default: EXECUTE to PUBLIC, which the migrations revoke each time
      service_table: true,
    });
    expect(await probe(usual.sql)).toEqual({
      authenticated_table: true,
      anon_table: true,
      authenticated_fn: true,
      service_table: true,
    });
  });

  it('ends up with exactly the privileges the usual database has, for every API role and project object', async () => {
    const privileges = await apiPrivileges(bare.sql);
    expect(privileges).toContain('authenticated select public.sync_run_log');
    expect(privileges).toEqual(await apiPrivileges(usual.sql));
  });

  it("lets the service role write runs, and a coordinator read their org's runs by RPC and by select", async () => {
    const service = new SyncRunLogRepository(createSqlRpc(bare.sql, SERVICE));
    const runA = await service.insertRunLog(orgA, 'xledger', 'manual');
    await service.updateRunLogStatus(runA, 'running', 10, 0, null);
    const finished = await service.updateRunLogStatus(runA, 'completed', 40, 2, null);
    expect(finished).toMatchObject({ id: runA, status: 'completed', recordsProcessed: 40, recordsFailed: 2 });
    const runB = await service.insertRunLog(orgB, 'xledger', 'manual');

    const user = new SyncRunLogRepository(createSqlRpc(bare.sql, { role: 'authenticated', claims: userClaims(orgA) }));
    expect((await user.getLastRunPerIntegration(orgA)).map((run) => run.id)).toEqual([runA]);
    expect((await user.getRunHistory(orgA, 'xledger', 10)).map((run) => run.status)).toEqual(['completed']);
    expect((await user.getRun(runA))?.recordsProcessed).toBe(40);
    expect(await user.getRun(runB)).toBeNull();
    expect(await user.getLastRunPerIntegration(orgB)).toEqual([]);

    const selected = await asAuthenticated(bare.sql, userClaims(orgA), (tx) => tx`select id from public.sync_run_log`);
    expect(selected.map((row) => row.id)).toEqual([runA]);
  });

  it('gives anon nothing', async () => {
    const anon = { role: 'anon' as const, claims: { role: 'anon' } };
    expect(await sqlstate(asRole(bare.sql, anon, (tx) => tx`select 1 from public.sync_run_log`))).toBe('42501');
    expect(
      await sqlstate(asRole(bare.sql, anon, (tx) => tx`select * from public.get_run_history(${orgA}, 'xledger', 10)`)),
    ).toBe('42501');
  });
});

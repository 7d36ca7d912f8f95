// Supabase's Security Advisor, over the catalog of the migrated database: the rules of its linter (splinter) that
// apply to this project. Each rule is the lint's own query, narrowed to what the rule says, and each is shown to
// fail: a throwaway offending object, made inside a transaction that is rolled back, is found by the same query.
//   0011 function_search_path_mutable   every function and procedure has `set search_path = ''`, no exceptions
//   0028/0029 *_security_definer_function_executable   no security definer function is executable by anon or
//                                       authenticated (unless listed below as deliberate, with the reason)
//   0013 rls_disabled_in_public         RLS is enabled on every table in public
//   0024 rls_policy_always_true         no policy's USING or WITH CHECK is simply true (stricter than the lint,
//                                       which lets SELECT policies through)
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

// The schemas the linter leaves out (Supabase's own and extensions'), as splinter lists them.
const ADVISOR_EXCLUDED_SCHEMAS = [
  '_timescaledb_cache',
  '_timescaledb_catalog',
  '_timescaledb_config',
  '_timescaledb_internal',
  'auth',
  'cron',
  'extensions',
  'graphql',
  'graphql_public',
  'information_schema',
  'net',
  'pgmq',
  'pgroonga',
  'pgsodium',
  'pgsodium_masks',
  'pgtle',
  'pgbouncer',
  'pg_catalog',
  'realtime',
  'repack',
  'storage',
  'supabase_functions',
  'supabase_migrations',
  'tiger',
  'topology',
  'vault',
];

/** Security definer functions anon or authenticated may execute on purpose: none today. */
const DELIBERATE_DEFINER_EXPOSURES: { role: 'anon' | 'authenticated'; fn: string; reason: string }[] = [];
// The security definer functions there are, and why none is on that list:
//   public.upsert_sync_schedule, public.set_sync_schedule_enabled, public.delete_sync_schedule: service_role only
//     (the Edge Function checks the caller's role and org before it calls them);
//   public.get_run_log_archival_status: service_role only (reads cron.job for the local ticker);
//   sync_private.track_scheduled_period: a trigger function, executable by no API role.

const FN = `n.nspname || '.' || p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')'`;
const ADVISED = (alias: string) =>
  `${alias}.nspname <> all(array[${ADVISOR_EXCLUDED_SCHEMAS.map((s) => `'${s}'`).join(', ')}]) and ${alias}.nspname not like 'pg\\_%'`;

/** 0011: functions and procedures whose search_path is not fixed to '' (extensions' own functions aside). */
async function mutableSearchPath(sql: Sql): Promise<string[]> {
  const rows = await sql.unsafe<{ fn: string }[]>(`
    select ${FN} as fn
    from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where ${ADVISED('n')}
      and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e')
      and not coalesce(p.proconfig, '{}') && array['search_path=""']
    order by 1`);
  return rows.map((row) => row.fn);
}

/** 0028/0029: security definer functions that anon or authenticated may execute, as `<role> <function>`. */
async function exposedDefiners(sql: Sql): Promise<string[]> {
  const rows = await sql.unsafe<{ line: string }[]>(`
    select r.role || ' ' || ${FN} as line
    from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    cross join (values ('anon'), ('authenticated')) as r(role)
    where ${ADVISED('n')} and p.prosecdef and pg_catalog.has_function_privilege(r.role, p.oid, 'execute')
    order by 1`);
  return rows.map((row) => row.line);
}

/** 0013: tables in public without row level security. */
async function rlsDisabledInPublic(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select n.nspname || '.' || c.relname as name
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
    order by 1`;
  return rows.map((row) => row.name);
}

/** 0024, for every command: policies whose USING or WITH CHECK is simply true (or missing where it lets all in). */
async function policiesAlwaysTrue(sql: Sql): Promise<string[]> {
  const rows = await sql.unsafe<{ line: string }[]>(`
    with policies as (
      select n.nspname || '.' || c.relname || ' "' || p.polname || '"' as line,
        case p.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete'
          else 'all' end as command,
        pg_catalog.pg_get_expr(p.polqual, p.polrelid) as qual,
        pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as with_check
      from pg_catalog.pg_policy p
      join pg_catalog.pg_class c on c.oid = p.polrelid
      join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where ${ADVISED('n')}
    ), normalized as (
      select line, command, qual, with_check,
        translate(lower(coalesce(qual, '')), E' \\n\\t', '') as q,
        translate(lower(coalesce(with_check, '')), E' \\n\\t', '') as w
      from policies
    )
    select line from normalized
    where q in ('true', '(true)', '1=1', '(1=1)') or w in ('true', '(true)', '1=1', '(1=1)')
      or (qual is null and command <> 'insert') or (with_check is null and command = 'insert')
    order by 1`);
  return rows.map((row) => row.line);
}

class RolledBack extends Error {}

/** Runs fn in a transaction that is always rolled back, and returns what fn returned. */
async function rolledBack<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await sql
    .begin(async (tx) => {
      result = await fn(tx as unknown as Sql);
      throw new RolledBack();
    })
    .catch((error: unknown) => {
      if (!(error instanceof RolledBack)) throw error;
    });
  return result as T;
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it("the rules look at the project's schemas", async () => {
  const rows = await db.sql.unsafe<{ name: string }[]>(
    `select n.nspname as name from pg_catalog.pg_namespace n where ${ADVISED('n')} order by 1`,
  );
  expect(rows.map((row) => row.name)).toEqual(expect.arrayContaining(['public', 'sync_private']));
});

describe('function_search_path_mutable', () => {
  it("every function and procedure has search_path = '', with no exception", async () => {
    expect(await mutableSearchPath(db.sql)).toEqual([]);
    // The archival procedure, the one exception there was, is gone: the daily job runs a do block instead.
    const [procedure] =
      await db.sql`select to_regprocedure('public.archive_run_log_in_batches(interval, integer, text, bigint)') as oid`;
    expect(procedure?.oid).toBeNull();
  });

  it('finds a function or procedure without a fixed search_path, or with one other than empty, in any project schema', async () => {
    const found = await rolledBack(db.sql, async (tx) => {
      await tx`create function public.advisor_probe_none() returns integer language sql as 'select 1'`;
      await tx`create function sync_private.advisor_probe_public() returns integer language sql
               set search_path = public as 'select 1'`;
      await tx`create procedure public.advisor_probe_procedure() language plpgsql as 'begin commit; end'`;
      await tx`create function public.advisor_probe_fixed() returns integer language sql
               set search_path = '' as 'select 1'`;
      return mutableSearchPath(tx);
    });
    expect(found).toEqual(
      ['public.advisor_probe_none()', 'public.advisor_probe_procedure()', 'sync_private.advisor_probe_public()'].sort(),
    );
  });
});

describe('security definer functions executable by anon or authenticated', () => {
  it('there are none, but for the deliberate ones listed', async () => {
    expect(await exposedDefiners(db.sql)).toEqual(DELIBERATE_DEFINER_EXPOSURES.map((e) => `${e.role} ${e.fn}`).sort());
  });

  it('finds one executable through PUBLIC, and one granted to authenticated only', async () => {
    const found = await rolledBack(db.sql, async (tx) => {
      await tx`create function sync_private.advisor_probe_public() returns integer language sql security definer
               set search_path = '' as 'select 1'`;
      await tx`grant usage on schema sync_private to anon`;
      await tx`create function public.advisor_probe_authenticated() returns integer language sql security definer
               set search_path = '' as 'select 1'`;
      await tx`revoke all on function public.advisor_probe_authenticated() from public, anon, authenticated`;
      await tx`grant execute on function public.advisor_probe_authenticated() to authenticated`;
      await tx`create function public.advisor_probe_service() returns integer language sql security definer
               set search_path = '' as 'select 1'`;
      await tx`revoke all on function public.advisor_probe_service() from public, anon, authenticated`;
      return exposedDefiners(tx);
    });
    expect(found).toEqual(
      [
        ...DELIBERATE_DEFINER_EXPOSURES.map((e) => `${e.role} ${e.fn}`),
        'anon sync_private.advisor_probe_public()',
        'authenticated public.advisor_probe_authenticated()',
        'authenticated sync_private.advisor_probe_public()',
      ].sort(),
    );
  });
});

describe('rls_disabled_in_public', () => {
  it('every table in public has RLS enabled', async () => {
    expect(await rlsDisabledInPublic(db.sql)).toEqual([]);
  });

  it('finds a table in public without RLS', async () => {
    const found = await rolledBack(db.sql, async (tx) => {
      await tx`create table public.advisor_probe_open (id integer)`;
      await tx`create table public.advisor_probe_closed (id integer)`;
      await tx`alter table public.advisor_probe_closed enable row level security`;
      return rlsDisabledInPublic(tx);
    });
    expect(found).toEqual(['public.advisor_probe_open']);
  });
});

describe('policies that are always true', () => {
  it('no policy in the project has a USING or WITH CHECK that is simply true', async () => {
    const [count] = await db.sql.unsafe<{ n: number }[]>(`
      select count(*)::int as n from pg_catalog.pg_policy p
      join pg_catalog.pg_class c on c.oid = p.polrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where ${ADVISED('n')}`);
    expect(count?.n).toBeGreaterThan(0);
    expect(await policiesAlwaysTrue(db.sql)).toEqual([]);
  });

  it('finds USING (true), WITH CHECK (1 = 1) and an insert policy without a check; not a policy on a claim', async () => {
    const found = await rolledBack(db.sql, async (tx) => {
      await tx`create table public.advisor_probe (id integer, org_id uuid)`;
      await tx`alter table public.advisor_probe enable row level security`;
      await tx`create policy "probe read" on public.advisor_probe for select to authenticated using (true)`;
      await tx`create policy "probe write" on public.advisor_probe for update to authenticated
               using (org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))) with check (1 = 1)`;
      await tx`create policy "probe insert" on public.advisor_probe for insert to anon`;
      await tx`create policy "probe own" on public.advisor_probe for select to authenticated
               using (org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id')))`;
      return policiesAlwaysTrue(tx);
    });
    expect(found).toEqual([
      'public.advisor_probe "probe insert"',
      'public.advisor_probe "probe read"',
      'public.advisor_probe "probe write"',
    ]);
  });
});

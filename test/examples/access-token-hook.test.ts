// The example Custom Access Token Hook (supabase/examples/custom_access_token_hook.sql), run as Supabase Auth runs it:
// as supabase_auth_admin, with the event Supabase Auth sends. Its claims are the contract of docs/deploy.md: org_id and
// user_role from the user's active membership, everything else as it came; and they are what the sync-run-log function
// (callerFromClaims) and the RLS policies accept. A plain PostgreSQL lacks Supabase's auth.users and
// supabase_auth_admin: this file's database gets a stand-in table (the id is all the hook's table refers to) and the
// role as Supabase creates it.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerFromClaims } from '../../supabase/functions/_shared/auth.ts';
import { asAuthenticated, asRole, createTestDatabase, SERVICE, sqlstate, type TestDatabase } from '../helpers/db.ts';

const EXAMPLE = readFileSync(path.resolve('supabase/examples/custom_access_token_hook.sql'), 'utf8');
const HOOK = 'public.custom_access_token_hook(jsonb)';
/** The claims Supabase Auth requires in what the hook returns (it refuses to issue a token without them). */
const REQUIRED = ['iss', 'aud', 'exp', 'iat', 'sub', 'role', 'aal', 'session_id', 'email', 'phone', 'is_anonymous'];

const orgA = randomUUID();
const orgB = randomUUID();
const users = {
  coordinator: randomUUID(), // org A, coordinator
  admin: randomUUID(), // org B, admin
  twoOrgs: randomUUID(), // admin of org A (active), coordinator of org B (inactive)
  inactive: randomUUID(), // a member of org A whose membership is not active
  volunteer: randomUUID(), // org A, an app role that may not use the run log
  outsider: randomUUID(), // no membership
};

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  // Roles belong to the whole server, which other test files share: create it only where missing, as Supabase has it.
  await db.sql.unsafe(`
    do $$
    begin
      if not exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') then
        create role supabase_auth_admin noinherit createrole login noreplication;
      end if;
    exception when duplicate_object or unique_violation then
      null; -- another file created it meanwhile
    end
    $$;
    create table if not exists auth.users (id uuid primary key);`);
  await db.sql.unsafe(EXAMPLE);
  await db.sql`insert into auth.users (id) select unnest(${Object.values(users)}::uuid[])`;
  await db.sql`
    insert into public.org_memberships (user_id, org_id, user_role, active) values
      (${users.coordinator}, ${orgA}, 'coordinator', true),
      (${users.admin}, ${orgB}, 'admin', true),
      (${users.twoOrgs}, ${orgA}, 'admin', true),
      (${users.twoOrgs}, ${orgB}, 'coordinator', false),
      (${users.inactive}, ${orgA}, 'coordinator', false),
      (${users.volunteer}, ${orgA}, 'volunteer', true)`;
});
afterAll(async () => {
  await db.drop();
});

/** The event Supabase Auth sends the hook at a password sign-in (the shape of its documentation). */
function signInEvent(userId: string, extraClaims: Record<string, unknown> = {}) {
  const iat = 1_798_000_000;
  return {
    user_id: userId,
    claims: {
      iss: 'https://abcdefghijklmnop.supabase.co/auth/v1',
      aud: 'authenticated',
      exp: iat + 3600,
      iat,
      sub: userId,
      email: 'coordinator@example.org',
      phone: '',
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: { name: 'Kari' },
      role: 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'password', timestamp: iat }],
      session_id: randomUUID(),
      is_anonymous: false,
      ...extraClaims,
    },
    authentication_method: 'password',
  };
}

type HookResult = { claims: Record<string, unknown> };

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Calls the hook as Supabase Auth does: as supabase_auth_admin (no BYPASSRLS: the table's policy must let it read). */
async function runHook(event: unknown): Promise<HookResult> {
  return db.sql.begin(async (tx) => {
    await tx`set local role supabase_auth_admin`;
    const [row] = await tx`select public.custom_access_token_hook(${tx.json(event as never)}) as result`;
    return row?.result as HookResult;
  }) as Promise<HookResult>;
}

describe('the claims the hook returns', () => {
  it('adds org_id and user_role for a member, and returns every other claim as it came', async () => {
    const event = signInEvent(users.coordinator);
    const result = await runHook(event);
    expect(Object.keys(result)).toEqual(['claims']);
    expect(result.claims).toEqual({ ...event.claims, org_id: orgA, user_role: 'coordinator' });
    expect(result.claims.role).toBe('authenticated'); // the Postgres role PostgREST switches to, never the app role
  });

  it('keeps every claim Supabase Auth requires, for members and non-members', async () => {
    for (const user of [users.coordinator, users.outsider]) {
      const event = signInEvent(user);
      const { claims } = await runHook(event);
      for (const claim of REQUIRED) {
        expect(claims).toHaveProperty(claim);
        expect(claims[claim]).toEqual(event.claims[claim as keyof typeof event.claims]);
      }
    }
  });

  it('leaves the claims unchanged for a user without a membership: no org_id, no user_role', async () => {
    const event = signInEvent(users.outsider);
    const { claims } = await runHook(event);
    expect(claims).toEqual(event.claims);
    expect(claims).not.toHaveProperty('org_id');
    expect(claims).not.toHaveProperty('user_role');
  });

  it('gives no org to a user whose only membership is inactive, even when the incoming claims carried one', async () => {
    const { claims } = await runHook(signInEvent(users.inactive, { org_id: orgA, user_role: 'admin' }));
    expect(claims).not.toHaveProperty('org_id');
    expect(claims).not.toHaveProperty('user_role');
  });

  it('gives a user of several orgs the active one; one update switches it, and two active ones are refused', async () => {
    expect((await runHook(signInEvent(users.twoOrgs))).claims).toMatchObject({ org_id: orgA, user_role: 'admin' });

    await db.sql`update public.org_memberships set active = (org_id = ${orgB}) where user_id = ${users.twoOrgs}`;
    expect((await runHook(signInEvent(users.twoOrgs))).claims).toMatchObject({
      org_id: orgB,
      user_role: 'coordinator',
    });

    const second = db.sql`update public.org_memberships set active = true where user_id = ${users.twoOrgs}`;
    expect(await sqlstate(second)).toBe('23P01'); // exclusion violation: at most one active membership
    await db.sql`update public.org_memberships set active = (org_id = ${orgA}) where user_id = ${users.twoOrgs}`;
  });

  it('drops the memberships of a deleted user with the user', async () => {
    const gone = randomUUID();
    await db.sql`insert into auth.users (id) values (${gone})`;
    await db.sql`insert into public.org_memberships (user_id, org_id, user_role) values (${gone}, ${orgA}, 'admin')`;
    await db.sql`delete from auth.users where id = ${gone}`;
    expect(await db.sql`select 1 from public.org_memberships where user_id = ${gone}`).toHaveLength(0);
  });
});

describe('a token with the hook’s claims, where the sync-run-log function and RLS read them', () => {
  it('is a staff user of the org for the function (callerFromClaims), for coordinators and admins', async () => {
    const coordinator = await runHook(signInEvent(users.coordinator));
    expect(callerFromClaims(coordinator.claims)).toMatchObject({
      kind: 'user',
      orgId: orgA,
      userRole: 'coordinator',
      userId: users.coordinator,
    });
    const admin = await runHook(signInEvent(users.admin));
    expect(callerFromClaims(admin.claims)).toMatchObject({ kind: 'user', orgId: orgB, userRole: 'admin' });
  });

  it('is refused (403 forbidden) without a membership, or with an app role other than coordinator or admin', async () => {
    for (const user of [users.outsider, users.inactive, users.volunteer]) {
      const { claims } = await runHook(signInEvent(user));
      expect(thrownBy(() => callerFromClaims(claims))).toMatchObject({ code: 'forbidden' });
    }
  });

  it('reads its own org’s runs under RLS, and no other org’s', async () => {
    for (const org of [orgA, orgB]) {
      await asRole(db.sql, SERVICE, (tx) => tx`select public.insert_run_log(${org}, 'xledger', 'manual')`);
    }
    const { claims } = await runHook(signInEvent(users.coordinator));
    const rows = await asAuthenticated(db.sql, claims, (tx) => tx`select org_id from public.sync_run_log`);
    expect(rows).toEqual([{ org_id: orgA }]);
  });
});

describe('who may run the hook and read the memberships', () => {
  it('lets supabase_auth_admin execute the hook, and not anon, authenticated or public', async () => {
    const [row] = await db.sql`
      select
        has_function_privilege('supabase_auth_admin', ${HOOK}, 'execute') as auth_admin,
        has_function_privilege('anon', ${HOOK}, 'execute') as anon,
        has_function_privilege('authenticated', ${HOOK}, 'execute') as authenticated,
        p.proacl is not null and not exists (
          select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE'
        ) as public_revoked
      from pg_catalog.pg_proc p
      where p.oid = ${HOOK}::regprocedure`;
    expect(row).toEqual({ auth_admin: true, anon: false, authenticated: false, public_revoked: true });
    const call = asAuthenticated(db.sql, {}, (tx) => tx`select public.custom_access_token_hook('{}'::jsonb)`);
    expect(await sqlstate(call)).toBe('42501');
  });

  it('lets supabase_auth_admin only read the memberships, under RLS; anon and authenticated not at all', async () => {
    const privileges = await db.sql`
      select r.role, p.privilege, has_table_privilege(r.role, 'public.org_memberships', p.privilege) as granted
      from unnest(array['supabase_auth_admin', 'anon', 'authenticated']) as r(role)
      cross join unnest(array['select', 'insert', 'update', 'delete']) as p(privilege)
      where has_table_privilege(r.role, 'public.org_memberships', p.privilege)`;
    expect(privileges).toEqual([{ role: 'supabase_auth_admin', privilege: 'select', granted: true }]);
    const [table] = await db.sql`
      select c.relrowsecurity, r.rolbypassrls
      from pg_catalog.pg_class c, pg_catalog.pg_roles r
      where c.oid = 'public.org_memberships'::regclass and r.rolname = 'supabase_auth_admin'`;
    // RLS is on and supabase_auth_admin does not bypass it: the hook reads the members through the policy alone.
    expect(table).toEqual({ relrowsecurity: true, rolbypassrls: false });
    const read = asAuthenticated(db.sql, {}, (tx) => tx`select * from public.org_memberships`);
    expect(await sqlstate(read)).toBe('42501');
  });

  it('installs again over itself, leaving the same objects', async () => {
    const snapshot = () => db.sql`
      select
        (select pg_catalog.pg_get_functiondef(${HOOK}::regprocedure)) as hook,
        (select p.proacl::text from pg_catalog.pg_proc p where p.oid = ${HOOK}::regprocedure) as hook_acl,
        (select c.relacl::text from pg_catalog.pg_class c where c.oid = 'public.org_memberships'::regclass) as table_acl,
        (select array_agg(policyname || ' ' || cmd || ' ' || array_to_string(roles, ',') order by policyname)
           from pg_catalog.pg_policies where tablename = 'org_memberships') as policies,
        (select array_agg(pg_catalog.pg_get_constraintdef(oid) order by conname)
           from pg_catalog.pg_constraint where conrelid = 'public.org_memberships'::regclass) as constraints,
        (select count(*)::int from public.org_memberships) as memberships`;
    const before = await snapshot();
    await db.sql.unsafe(EXAMPLE);
    expect(await snapshot()).toEqual(before);
  });
});

-- An example, not a migration: the Supabase Custom Access Token Hook that gives this project's users the two claims
-- the sync-run-log function and the RLS policies read, top-level in the access token: `org_id` (uuid of the org the
-- user acts for) and `user_role` (coordinator, admin, or another app role). Never the `role` claim: PostgREST switches
-- to the Postgres role it names. A project has one such hook; where it already has one, merge this one's body into it
-- instead (docs/deploy.md, "The access token hook and the claim contract").
-- Install: run this file once (psql or the SQL editor), then enable the hook in Dashboard > Authentication > Hooks, or
-- with [auth.hook.custom_access_token] in supabase/config.toml. Running it again leaves the same objects.
-- Needs what every Supabase project has: auth.users and the role supabase_auth_admin (Supabase Auth's own role).

-- org_memberships: which orgs a user belongs to, with which app role. A user may belong to several orgs, but at most
-- one membership per user is active, and the active one is the org the token carries (switching orgs is activating
-- another membership: the user's next token carries it). Managed with the service role or in SQL, never by users:
-- anon and authenticated have no access; Supabase Auth may only read it.
create table if not exists public.org_memberships (
  user_id uuid not null references auth.users (id) on delete cascade,
  org_id uuid not null,
  user_role text not null check (user_role ~ '^[a-z][a-z_]{0,62}$'),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  primary key (user_id, org_id),
  -- Checked at the end of each statement (deferrable), so that one update can move the flag from one org to another.
  constraint org_memberships_one_active_per_user
    exclude using btree (user_id with =) where (active) deferrable initially immediate
);

comment on table public.org_memberships is
  'The orgs a user belongs to and their app role in each; the active one gives the access token its org_id and '
  'user_role claims (public.custom_access_token_hook).';

alter table public.org_memberships enable row level security;

revoke all on table public.org_memberships from anon, authenticated, public;
grant select on table public.org_memberships to supabase_auth_admin;

drop policy if exists "Supabase Auth reads memberships for the access token hook" on public.org_memberships;
create policy "Supabase Auth reads memberships for the access token hook"
  on public.org_memberships for select to supabase_auth_admin
  using (true);

-- custom_access_token_hook: Supabase Auth calls it (as supabase_auth_admin) before it issues each access token, with
-- the event { user_id, claims, authentication_method }, and issues the claims it returns ({ claims }). The user's
-- active membership sets org_id and user_role; a user without one gets neither (removed, should the incoming claims
-- carry them), so the token grants no org. Every other claim, the ones Supabase Auth requires (iss, aud, exp, iat,
-- sub, role, aal, session_id, email, phone, is_anonymous) included, is returned as it came.
-- security invoker, as Supabase advises for hooks: it reads org_memberships with supabase_auth_admin's own grant.
create or replace function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_claims jsonb := coalesce(event -> 'claims', '{}'::jsonb) - 'org_id' - 'user_role';
  v_org_id uuid;
  v_user_role text;
begin
  select m.org_id, m.user_role
    into v_org_id, v_user_role
    from public.org_memberships m
    where m.user_id = (event ->> 'user_id')::uuid
      and m.active;
  if found then
    v_claims := v_claims || jsonb_build_object('org_id', v_org_id, 'user_role', v_user_role);
  end if;
  return jsonb_build_object('claims', v_claims);
end;
$$;

-- Only Supabase Auth runs it: not callable through the Data API (anon, authenticated) nor by any other role.
grant usage on schema public to supabase_auth_admin;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;
revoke execute on function public.custom_access_token_hook(jsonb) from authenticated, anon, public;

-- The schema for helpers that policies and triggers use but no API should expose.
-- Supabase's API exposes `public` only, so nothing here is callable over PostgREST.
create schema if not exists sync_private;
revoke all on schema sync_private from public;
grant usage on schema sync_private to authenticated, service_role;

-- uuid_or_null: a JWT claim as a uuid, or null when it is missing or malformed.
-- Why: policies compare org_id with the org_id claim; a bad claim must give no rows, never an error.
create or replace function sync_private.uuid_or_null(p_value text)
returns uuid
language sql
immutable
set search_path = ''
as $$
  select case
    when p_value ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then p_value::uuid
  end
$$;

comment on function sync_private.uuid_or_null(text) is
  'A JWT claim as uuid, null when missing or malformed, so that RLS policies never raise on a bad token.';
revoke all on function sync_private.uuid_or_null(text) from public;
grant execute on function sync_private.uuid_or_null(text) to authenticated, service_role;

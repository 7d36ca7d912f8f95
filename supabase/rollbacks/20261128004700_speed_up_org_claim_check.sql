-- Back to the SQL version of 20261128000100.
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

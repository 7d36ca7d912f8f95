-- The connection API. Writes and the credentials read are for the service role only (the Edge Function and the
-- executor call them with server credentials); they are security definer because nobody holds a write grant on
-- sync_connections and only the owner may use Supabase Vault. The read of the settings runs as the caller (RLS).
-- Credentials (a JSON object, e.g. xledger { apiToken }, dynamics { clientId, clientSecret }, bufdir { apiKey })
-- go to Vault under the name `sync_connection:<org_id>:<integration_type>`; no table of public holds them, no result
-- but get_connection_credentials's returns them, and no error message repeats them.
-- Error codes: SR003 no such connection, SR005 invalid argument, SR008 not configured (docs/errors.md).

-- upsert_sync_connection: creates or changes the connection of (org, integration) and returns it without secrets.
-- A null argument keeps what is stored (a new connection: settings {}, enabled true, no credentials); given
-- credentials replace the stored ones (vault.update_secret) or are stored anew (vault.create_secret).
create or replace function public.upsert_sync_connection(
  p_org_id uuid,
  p_integration_type text,
  p_settings jsonb default null,
  p_credentials jsonb default null,
  p_enabled boolean default null
)
returns public.sync_connection_settings
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_connection public.sync_connections;
  v_secret_id uuid;
  v_name text;
  v_result public.sync_connection_settings;
begin
  if p_org_id is null then
    raise exception 'org_id is required' using errcode = 'SR005';
  end if;
  if p_integration_type is null or p_integration_type !~ '^[a-z][a-z0-9_]{1,62}$' then
    raise exception 'integration_type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)' using errcode = 'SR005';
  end if;
  if p_settings is not null and jsonb_typeof(p_settings) <> 'object' then
    raise exception 'settings must be a JSON object' using errcode = 'SR005';
  end if;
  if octet_length(p_settings::text) > 16384 then
    raise exception 'settings must be at most 16 KB of JSON' using errcode = 'SR005';
  end if;
  -- The credentials are never repeated in a message, not even in part.
  if p_credentials is not null and (jsonb_typeof(p_credentials) <> 'object' or p_credentials = '{}'::jsonb) then
    raise exception 'credentials must be a non-empty JSON object' using errcode = 'SR005';
  end if;
  if octet_length(p_credentials::text) > 16384 then
    raise exception 'credentials must be at most 16 KB of JSON' using errcode = 'SR005';
  end if;

  -- The row first: it stays locked until commit, so concurrent upserts of one connection take turns below.
  insert into public.sync_connections as c (org_id, integration_type, settings, enabled)
  values (p_org_id, p_integration_type, coalesce(p_settings, '{}'::jsonb), coalesce(p_enabled, true))
  on conflict (org_id, integration_type) do update
  set settings = coalesce(p_settings, c.settings),
      enabled = coalesce(p_enabled, c.enabled),
      updated_at = now()
  returning c.* into v_connection;

  if p_credentials is not null then
    v_name := 'sync_connection:' || p_org_id::text || ':' || p_integration_type;
    v_secret_id := v_connection.credentials_secret_id;
    if v_secret_id is not null and not exists (select 1 from vault.secrets s where s.id = v_secret_id) then
      v_secret_id := null;
    end if;
    if v_secret_id is null then
      -- A secret of this name left behind (e.g. a connection row deleted by hand) is reused, not duplicated.
      select s.id into v_secret_id from vault.secrets s where s.name = v_name;
    end if;
    if v_secret_id is null then
      v_secret_id := vault.create_secret(
        p_credentials::text, v_name, 'credentials of the ' || p_integration_type || ' connection of an org (sync_connections)'
      );
    else
      perform vault.update_secret(v_secret_id, p_credentials::text, v_name);
    end if;
    update public.sync_connections c
    set credentials_secret_id = v_secret_id,
        credentials_set_at = now(),
        updated_at = now()
    where c.id = v_connection.id;
  end if;

  select v.* into v_result from public.sync_connection_settings v where v.id = v_connection.id;
  return v_result;
end
$$;

comment on function public.upsert_sync_connection(uuid, text, jsonb, jsonb, boolean) is
  'Creates or changes an org''s connection; given credentials are stored in Vault (replacing the previous ones). '
  'Returns the connection without secrets. SR005 on invalid input (never echoing the credentials). Service role only.';
revoke all on function public.upsert_sync_connection(uuid, text, jsonb, jsonb, boolean) from public, anon, authenticated;
grant execute on function public.upsert_sync_connection(uuid, text, jsonb, jsonb, boolean) to service_role;

-- set_sync_connection_enabled: turns a connection on or off; SR003 when there is none.
create or replace function public.set_sync_connection_enabled(
  p_org_id uuid,
  p_integration_type text,
  p_enabled boolean
)
returns public.sync_connection_settings
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
  v_result public.sync_connection_settings;
begin
  if p_enabled is null then
    raise exception 'enabled must be true or false' using errcode = 'SR005';
  end if;
  update public.sync_connections c
  set enabled = p_enabled,
      updated_at = now()
  where c.org_id = p_org_id and c.integration_type = p_integration_type
  returning c.id into v_id;
  if not found then
    raise exception 'no connection for % in this org', coalesce(p_integration_type, 'null') using errcode = 'SR003';
  end if;
  select v.* into v_result from public.sync_connection_settings v where v.id = v_id;
  return v_result;
end
$$;

comment on function public.set_sync_connection_enabled(uuid, text, boolean) is
  'Enables or disables an org''s connection (SR003 when there is none). Service role only.';
revoke all on function public.set_sync_connection_enabled(uuid, text, boolean) from public, anon, authenticated;
grant execute on function public.set_sync_connection_enabled(uuid, text, boolean) to service_role;

-- delete_sync_connection: removes a connection and its Vault secret; true when there was one. Its runs stay.
create or replace function public.delete_sync_connection(p_org_id uuid, p_integration_type text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_secret_id uuid;
begin
  delete from public.sync_connections c
  where c.org_id = p_org_id and c.integration_type = p_integration_type
  returning c.credentials_secret_id into v_secret_id;
  if not found then
    return false;
  end if;
  delete from vault.secrets s
  where s.id = v_secret_id
    or s.name = 'sync_connection:' || p_org_id::text || ':' || p_integration_type;
  return true;
end
$$;

comment on function public.delete_sync_connection(uuid, text) is
  'Deletes an org''s connection and its credentials in Vault; returns whether there was one. Service role only.';
revoke all on function public.delete_sync_connection(uuid, text) from public, anon, authenticated;
grant execute on function public.delete_sync_connection(uuid, text) to service_role;

-- get_connection_credentials: the decrypted credentials of an enabled connection, for the executor, once per run.
-- SR008 when the org has no such connection, it is disabled, or its credentials are not set or cannot be read
-- (the message never includes them). The only function whose result holds credentials: service role only.
create or replace function public.get_connection_credentials(p_org_id uuid, p_integration_type text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_connection public.sync_connections;
  v_text text;
begin
  select c.* into v_connection
  from public.sync_connections c
  where c.org_id = p_org_id and c.integration_type = p_integration_type;
  if not found or not v_connection.enabled or v_connection.credentials_secret_id is null then
    raise exception '% is not configured for this org: no enabled connection with credentials',
      coalesce(p_integration_type, 'null')
      using errcode = 'SR008';
  end if;
  begin
    select d.decrypted_secret into v_text from vault.decrypted_secrets d where d.id = v_connection.credentials_secret_id;
    if v_text is not null then
      return v_text::jsonb;
    end if;
  exception when data_exception then
    -- A cast or decryption error would quote the stored text: say only that it cannot be read.
    null;
  end;
  raise exception 'the credentials of the % connection cannot be read: set them again', p_integration_type
    using errcode = 'SR008';
end
$$;

comment on function public.get_connection_credentials(uuid, text) is
  'The decrypted credentials (JSON) of an org''s enabled connection, for the executor. SR008 when not configured. '
  'Service role only: no other function returns credentials.';
revoke all on function public.get_connection_credentials(uuid, text) from public, anon, authenticated;
grant execute on function public.get_connection_credentials(uuid, text) to service_role;

-- get_sync_connections: the connections of an org, by integration, without secrets. Runs as the caller: RLS applies.
create or replace function public.get_sync_connections(p_org_id uuid)
returns setof public.sync_connection_settings
language sql
stable
security invoker
set search_path = ''
as $$
  select v.* from public.sync_connection_settings v where v.org_id = p_org_id order by v.integration_type
$$;

comment on function public.get_sync_connections(uuid) is
  'The connections of an org (settings, enabled, when credentials were set; never credentials). Runs as the caller: RLS applies.';
revoke all on function public.get_sync_connections(uuid) from public, anon, authenticated;
grant execute on function public.get_sync_connections(uuid) to authenticated, service_role;

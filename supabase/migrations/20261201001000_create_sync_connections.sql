-- sync_connections: how an org reaches one integration's vendor, one row per (org, integration).
--   settings               the adapter's non-secret settings (e.g. the Dynamics environment URL, the Xledger
--                          company), validated per adapter in TypeScript; here only a JSON object of at most 16 KB
--   enabled                whether "Sync now" and the executor may use it
--   credentials_secret_id  the Supabase Vault secret that holds the credentials (JSON); the credentials themselves
--                          are never stored in any table of public
--   credentials_set_at     when the credentials were last set (null: none yet)
-- Written only through the security definer functions of 20261201001200 (service role); coordinators and admins of
-- the org read it under RLS, every column but credentials_secret_id (a column grant), preferably through the view
-- public.sync_connection_settings.
create table if not exists public.sync_connections (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  integration_type text not null
    constraint sync_connections_integration_type_format check (integration_type ~ '^[a-z][a-z0-9_]{1,62}$'),
  settings jsonb not null default '{}'::jsonb
    constraint sync_connections_settings_object check (jsonb_typeof(settings) = 'object')
    constraint sync_connections_settings_size check (octet_length(settings::text) <= 16384),
  enabled boolean not null default true,
  credentials_secret_id uuid,
  credentials_set_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint sync_connections_org_integration_key unique (org_id, integration_type),
  constraint sync_connections_credentials_set_together check (
    (credentials_secret_id is null) = (credentials_set_at is null)
  )
);

comment on table public.sync_connections is
  'One connection per (org, integration): non-secret settings, enabled, and the Vault secret id of its credentials. '
  'Written through upsert_sync_connection/set_sync_connection_enabled/delete_sync_connection (service role).';

alter table public.sync_connections enable row level security;

-- Supabase grants everything on public tables to anon and authenticated by default: take it back. authenticated may
-- read every column but the Vault secret id; nobody but the owner writes (the write functions are security definer).
revoke all on table public.sync_connections from public, anon, authenticated, service_role;
grant select (id, org_id, integration_type, settings, enabled, credentials_set_at, created_at, updated_at)
  on table public.sync_connections to authenticated;
grant select on table public.sync_connections to service_role;

-- sync_connection_settings: a connection as the org's staff and the API see it, never with its Vault secret id.
-- security_invoker: it reads the table as the caller, so the table's RLS and column grants apply unchanged.
create or replace view public.sync_connection_settings
with (security_invoker = true)
as
  select c.id, c.org_id, c.integration_type, c.settings, c.enabled, c.credentials_set_at, c.created_at, c.updated_at
  from public.sync_connections c;

comment on view public.sync_connection_settings is
  'Connections without their Vault secret id: settings, enabled, when credentials were set. Read as the caller (RLS).';

revoke all on table public.sync_connection_settings from public, anon, authenticated, service_role;
grant select on table public.sync_connection_settings to authenticated, service_role;

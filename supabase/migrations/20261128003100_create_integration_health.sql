-- integration_health: the health monitor's state, one row per (org, integration).
-- status: what the last lightweight check (active mode) or the last scheduled sync (passive mode) said.
-- mode: active = the monitor pings the vendor's status endpoint at most every 15 minutes;
--       passive = the vendor rate-limited us, so no pings until passive_until; syncs decide the status meanwhile.
-- next_check_at never comes sooner than 15 minutes after the last check (record_integration_health_check clamps it).
create table if not exists public.integration_health (
  org_id uuid not null,
  integration_type text not null
    constraint integration_health_integration_type_format check (integration_type ~ '^[a-z][a-z0-9_]{1,62}$'),
  status text not null default 'unknown'
    constraint integration_health_status_allowed check (status in ('unknown', 'healthy', 'unhealthy')),
  mode text not null default 'active'
    constraint integration_health_mode_allowed check (mode in ('active', 'passive')),
  consecutive_failures integer not null default 0
    constraint integration_health_consecutive_failures_non_negative check (consecutive_failures >= 0),
  next_check_at timestamptz not null,
  passive_until timestamptz,
  last_checked_at timestamptz,
  last_success_at timestamptz,
  last_latency_ms integer
    constraint integration_health_last_latency_non_negative check (last_latency_ms >= 0),
  last_error text
    constraint integration_health_last_error_length check (char_length(last_error) <= 2000),
  last_sync_at timestamptz,
  last_sync_succeeded boolean,
  updated_at timestamptz not null default now(),
  constraint integration_health_pkey primary key (org_id, integration_type),
  constraint integration_health_passive_has_end check ((mode = 'passive') = (passive_until is not null))
);

comment on table public.integration_health is
  'Health monitor state per org and integration. Written only through the service-role functions; read under RLS.';

-- The monitor's claim: due rows in next_check_at order.
create index if not exists integration_health_next_check_idx
  on public.integration_health (next_check_at);

alter table public.integration_health enable row level security;

-- Supabase grants everything on public tables to anon and authenticated by default: take it back.
revoke all on table public.integration_health from public, anon, authenticated, service_role;
grant select on table public.integration_health to authenticated;
grant select, insert, update, delete on table public.integration_health to service_role;

-- sync_run_log: one row per sync run of an org's integration (Xledger, Dynamics, Bufdir, ...).
-- The source of truth for every run: what triggered it, the period it stands for, when it started and ended,
-- how many records it processed and failed, and an error message that is safe to show.
create table if not exists public.sync_run_log (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  integration_type text not null
    constraint sync_run_log_integration_type_format check (integration_type ~ '^[a-z][a-z0-9_]{1,62}$'),
  started_at timestamptz not null,
  ended_at timestamptz,
  status text not null
    constraint sync_run_log_status_allowed check (status in ('pending', 'running', 'completed', 'failed', 'cancelled')),
  records_processed integer not null default 0
    constraint sync_run_log_records_processed_non_negative check (records_processed >= 0),
  records_failed integer not null default 0
    constraint sync_run_log_records_failed_non_negative check (records_failed >= 0),
  error_message text
    constraint sync_run_log_error_message_length check (char_length(error_message) <= 2000),
  triggered_by text not null
    constraint sync_run_log_triggered_by_allowed check (triggered_by in ('scheduler', 'manual')),
  scheduled_for timestamptz,
  idempotency_key text
    constraint sync_run_log_idempotency_key_length check (char_length(idempotency_key) between 1 and 200),
  heartbeat_at timestamptz,
  duration_seconds numeric generated always as (extract(epoch from ended_at - started_at)) stored,
  constraint sync_run_log_ended_after_start check (ended_at >= started_at),
  constraint sync_run_log_ended_iff_final check (
    (status in ('completed', 'failed', 'cancelled')) = (ended_at is not null)
  ),
  constraint sync_run_log_manual_has_no_period check (triggered_by = 'scheduler' or scheduled_for is null)
);

comment on table public.sync_run_log is
  'One row per sync run. Written only through insert_run_log/update_run_log_status (service role); read under RLS.';

-- History and last-run lookups: (org, integration, newest first). Also serves the loose index scan.
create index if not exists sync_run_log_org_integration_started_idx
  on public.sync_run_log (org_id, integration_type, started_at desc);

-- At most one running run per org and integration.
create unique index if not exists sync_run_log_one_running_idx
  on public.sync_run_log (org_id, integration_type) where status = 'running';

-- One run per idempotency key per org: the scheduler's key is integration + period.
create unique index if not exists sync_run_log_idempotency_key_idx
  on public.sync_run_log (org_id, idempotency_key) where idempotency_key is not null;

alter table public.sync_run_log enable row level security;

-- Supabase grants everything on public tables to anon and authenticated by default: take it back.
revoke all on table public.sync_run_log from public, anon, authenticated, service_role;
grant select on table public.sync_run_log to authenticated;
grant select, insert, update, delete on table public.sync_run_log to service_role;

-- sync_run_log_archive: runs that left the hot table (public.sync_run_log) after the retention period.
-- The same columns in the same order, so `select * from sync_run_log union all select * from sync_run_log_archive`
-- is the full history; duration_seconds is a plain column here (copied, not recomputed). Only the archival
-- functions write it (as the service role or the pg_cron job's owner); clients only read, under RLS.
create table if not exists public.sync_run_log_archive (
  id uuid primary key,
  org_id uuid not null,
  integration_type text not null,
  started_at timestamptz not null,
  ended_at timestamptz,
  status text not null
    constraint sync_run_log_archive_status_final check (status in ('completed', 'failed', 'cancelled')),
  records_processed integer not null default 0,
  records_failed integer not null default 0,
  error_message text,
  triggered_by text not null,
  scheduled_for timestamptz,
  idempotency_key text,
  heartbeat_at timestamptz,
  duration_seconds numeric
);

comment on table public.sync_run_log_archive is
  'Runs older than the retention period, moved from sync_run_log by archive_run_log_batch. Same columns; read under RLS, written by the archival only.';

-- History reads of an org's integration, newest first; org_id leads, as on the hot table.
create index if not exists sync_run_log_archive_org_integration_started_idx
  on public.sync_run_log_archive (org_id, integration_type, started_at desc);

alter table public.sync_run_log_archive enable row level security;

-- Supabase grants everything on public tables to anon and authenticated by default: take it back.
revoke all on table public.sync_run_log_archive from public, anon, authenticated, service_role;
grant select on table public.sync_run_log_archive to authenticated;
grant select, insert, delete on table public.sync_run_log_archive to service_role;

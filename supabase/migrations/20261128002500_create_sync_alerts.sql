-- sync_alerts: what the scheduler tells an operator, one row per incident, so nothing it decides happens silently.
-- Kinds written by the scheduler (docs/scheduler.md): schedule_drift (a run started more than 5 minutes after its
-- period), missed_periods (periods skipped after downtime), stuck_run (a run failed by the reaper), cold_start (a
-- warm-up ping answered slower than the threshold). Other parts may add kinds of the same format.
-- dedupe_key makes recording idempotent: several tickers reporting one incident leave one row.
-- run_id has no foreign key on purpose: the run may move to the archive table and its alerts must stay.
create table if not exists public.sync_alerts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  kind text not null
    constraint sync_alerts_kind_format check (kind ~ '^[a-z][a-z0-9_]{1,62}$'),
  integration_type text
    constraint sync_alerts_integration_type_format check (integration_type ~ '^[a-z][a-z0-9_]{1,62}$'),
  run_id uuid,
  details jsonb not null default '{}'::jsonb
    constraint sync_alerts_details_object check (jsonb_typeof(details) = 'object'),
  dedupe_key text
    constraint sync_alerts_dedupe_key_length check (char_length(dedupe_key) between 1 and 200),
  created_at timestamptz not null default now()
);

comment on table public.sync_alerts is
  'Scheduler incidents (drift, missed periods, stuck runs, cold starts) per org. Written by service-role functions; '
  'read by the org''s coordinators and admins under RLS.';

-- The newest alerts of an org first; org_id leads, as in every index of the project.
create index if not exists sync_alerts_org_created_idx on public.sync_alerts (org_id, created_at desc);

-- One row per incident, however many tickers report it.
create unique index if not exists sync_alerts_dedupe_key_idx
  on public.sync_alerts (org_id, dedupe_key) where dedupe_key is not null;

-- The alerts of a run.
create index if not exists sync_alerts_run_idx on public.sync_alerts (org_id, run_id) where run_id is not null;

alter table public.sync_alerts enable row level security;

revoke all on table public.sync_alerts from public, anon, authenticated, service_role;
grant select on table public.sync_alerts to authenticated;
grant select, insert, delete on table public.sync_alerts to service_role;

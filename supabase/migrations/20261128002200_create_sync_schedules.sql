-- sync_schedules: when the scheduler starts the runs of an org's integration. One schedule per (org, integration):
-- a 5-field cron expression read in an IANA time zone (default Europe/Oslo), enabled or not, and the run timeout
-- after which the stuck-run reaper fails a run that stopped sending heartbeats.
--   active_from         periods before it are never run (set at creation and when a disabled schedule is enabled
--                       again, so the time it was off is not caught up)
--   last_scheduled_for  the newest period a scheduler run was started for (kept by a trigger on sync_run_log, so
--                       archiving old runs never makes the scheduler forget where it was)
-- Written only through the functions of 20261128002400 (service role); read under RLS.
create table if not exists public.sync_schedules (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  integration_type text not null
    constraint sync_schedules_integration_type_format check (integration_type ~ '^[a-z][a-z0-9_]{1,62}$'),
  cron_expression text not null
    constraint sync_schedules_cron_expression_length check (char_length(cron_expression) between 1 and 200),
  time_zone text not null default 'Europe/Oslo'
    constraint sync_schedules_time_zone_length check (char_length(time_zone) between 1 and 64),
  enabled boolean not null default true,
  run_timeout_seconds integer not null default 1800
    constraint sync_schedules_run_timeout_range check (run_timeout_seconds between 60 and 86400),
  active_from timestamptz not null default now(),
  last_scheduled_for timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint sync_schedules_org_integration_key unique (org_id, integration_type)
);

comment on table public.sync_schedules is
  'One schedule per (org, integration): cron expression, IANA time zone, enabled, run timeout. Written through '
  'upsert_sync_schedule/set_sync_schedule_enabled/delete_sync_schedule (service role); read under RLS.';

-- validate_sync_schedule: the cron expression and the time zone are checked on every write, whoever writes.
create or replace function sync_private.validate_sync_schedule()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_error text;
begin
  v_error := coalesce(sync_private.cron_expression_error(new.cron_expression), sync_private.time_zone_error(new.time_zone));
  if v_error is not null then
    raise exception '%', v_error using errcode = 'SR005';
  end if;
  return new;
end
$$;

comment on function sync_private.validate_sync_schedule() is
  'Trigger: refuses a malformed cron expression or an unknown time zone (SR005) on every insert and update.';
revoke all on function sync_private.validate_sync_schedule() from public;

drop trigger if exists sync_schedules_validate on public.sync_schedules;
create trigger sync_schedules_validate
  before insert or update of cron_expression, time_zone on public.sync_schedules
  for each row execute function sync_private.validate_sync_schedule();

alter table public.sync_schedules enable row level security;

-- Supabase grants everything on public tables to anon and authenticated by default: take it back. Nobody but the
-- owner writes directly: the service role writes through the security definer functions.
revoke all on table public.sync_schedules from public, anon, authenticated, service_role;
grant select on table public.sync_schedules to authenticated, service_role;

-- A scheduler that stops ticking is the one failure the scheduler cannot report itself: no period starts, no run
-- fails, and the missed_periods alert comes only once a tick works again (a Vault key rotated wrongly, the function
-- undeployed, pg_net failing). So the database keeps the scheduler's pulse, and a pg_cron job that needs nothing but
-- SQL checks it every 5 minutes: silent for longer than 5 minutes, each enabled schedule gets a scheduler_stalled
-- alert (one per schedule and outage), which the org's overview counts and the alerts list shows.
-- The pulse is stamped by get_schedules_for_tick, which every tick calls once, whichever version of the function
-- runs it: pushing this migration before deploying the functions starts no false alarm.

create table if not exists sync_private.scheduler_pulse (
  id boolean primary key default true
    constraint scheduler_pulse_one_row check (id),
  last_tick_at timestamptz not null
);

comment on table sync_private.scheduler_pulse is
  'When the scheduler last read its schedules (get_schedules_for_tick): one row. Read by check_scheduler_pulse.';
revoke all on table sync_private.scheduler_pulse from public, anon, authenticated, service_role;
grant select, insert, update on table sync_private.scheduler_pulse to service_role;
-- Counted from now: a deployment that ticks already is not "silent" before its next tick stamps it.
insert into sync_private.scheduler_pulse (id, last_tick_at) values (true, now()) on conflict (id) do nothing;

-- get_schedules_for_tick: every enabled schedule, as before, and the pulse stamped (now volatile and plpgsql).
create or replace function public.get_schedules_for_tick()
returns setof public.sync_schedules
language plpgsql
security invoker
set search_path = ''
as $$
begin
  insert into sync_private.scheduler_pulse as p (id, last_tick_at) values (true, now())
  on conflict (id) do update set last_tick_at = greatest(p.last_tick_at, excluded.last_tick_at);
  return query select s.* from public.sync_schedules s where s.enabled order by s.org_id, s.integration_type;
end
$$;

comment on function public.get_schedules_for_tick() is
  'Every enabled schedule, for the scheduler tick; stamps the scheduler''s pulse. Service role only.';
revoke all on function public.get_schedules_for_tick() from public, anon, authenticated;
grant execute on function public.get_schedules_for_tick() to service_role;

-- check_scheduler_pulse: when the scheduler last ticked more than p_silent_seconds (60..86400) before p_now, or
-- never, a scheduler_stalled alert for each enabled schedule active since before that window, one per schedule and
-- outage (the dedupe key names the last tick). Returns the alerts it recorded.
create or replace function public.check_scheduler_pulse(
  p_now timestamptz default now(),
  p_silent_seconds integer default 300
)
returns setof public.sync_alerts
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_last timestamptz;
  v_since timestamptz;
begin
  if p_now is null then
    raise exception 'now is required' using errcode = 'SR005';
  end if;
  if p_silent_seconds is null or p_silent_seconds < 60 or p_silent_seconds > 86400 then
    raise exception 'silent seconds must be between 60 and 86400, got %', coalesce(p_silent_seconds::text, 'null')
      using errcode = 'SR005';
  end if;
  v_since := p_now - make_interval(secs => p_silent_seconds);
  select p.last_tick_at into v_last from sync_private.scheduler_pulse p;
  if v_last >= v_since then
    return;
  end if;
  return query
    insert into public.sync_alerts as a (org_id, kind, integration_type, details, dedupe_key)
    select s.org_id, 'scheduler_stalled', s.integration_type,
      jsonb_build_object('last_tick_at', v_last, 'checked_at', p_now, 'silent_seconds', p_silent_seconds),
      'scheduler_stalled:' || s.integration_type || ':'
        || coalesce(to_char(v_last at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'never')
    from public.sync_schedules s
    where s.enabled and s.active_from <= v_since
    on conflict (org_id, dedupe_key) where dedupe_key is not null do nothing
    returning a.*;
end
$$;

comment on function public.check_scheduler_pulse(timestamptz, integer) is
  'Records a scheduler_stalled alert per enabled schedule when the scheduler has not ticked for p_silent_seconds '
  '(default 300); once per schedule and outage. Returns them. Service role (and pg_cron''s job) only.';
revoke all on function public.check_scheduler_pulse(timestamptz, integer) from public, anon, authenticated;
grant execute on function public.check_scheduler_pulse(timestamptz, integer) to service_role;

-- The watchdog job, where pg_cron exists (Supabase with pg_cron enabled; a local PostgreSQL with postgresql-15-cron);
-- elsewhere a no-op (the local ticker lives in the process that would have to report it). It needs no pg_net: it
-- only reads and writes this database. cron.schedule with a job name updates that job, so applying this twice
-- leaves one.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule(
      'watch-sync-scheduler',
      '*/5 * * * *',
      $job$select count(*) from public.check_scheduler_pulse()$job$
    );
  end if;
end
$$;

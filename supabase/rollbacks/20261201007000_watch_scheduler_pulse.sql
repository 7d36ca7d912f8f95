-- Undoes 20261201007000: the watchdog job unscheduled, check_scheduler_pulse and the pulse gone, and
-- get_schedules_for_tick as 20261128002920 made it. Alerts of kind scheduler_stalled stay: they are history.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.unschedule(j.jobid) from cron.job j where j.jobname = 'watch-sync-scheduler';
  end if;
end
$$;

drop function if exists public.check_scheduler_pulse(timestamptz, integer);

create or replace function public.get_schedules_for_tick()
returns setof public.sync_schedules
language sql
stable
security invoker
set search_path = ''
as $$
  select s.* from public.sync_schedules s where s.enabled order by s.org_id, s.integration_type
$$;

comment on function public.get_schedules_for_tick() is
  'Every enabled schedule, for the scheduler tick. Service role only.';
revoke all on function public.get_schedules_for_tick() from public, anon, authenticated;
grant execute on function public.get_schedules_for_tick() to service_role;

drop table if exists sync_private.scheduler_pulse;

-- One run per scheduled period, whatever its key, and a schedule whose expression changed starts from the change.
-- Three holes a review found (each reproduced against the database):
-- 1. The period trigger refused a second run of a period only when it carried the same idempotency key. The
--    service role's POST /runs takes triggeredBy scheduler with any scheduledFor and any key, or none: the same
--    period could run twice. Now a scheduler run whose (org, integration, scheduled_for) already has a run, in the
--    hot table or the archive, is SR002 duplicate_period with that run's id (the period indexes of 20261201004000).
--    Racing inserts of one period are serialised as before: by the schedule row the trigger updates, and without a
--    schedule by the one-active-run index (the second waits for the first and gets SR001).
-- 2. A scheduled_for far in the future (a typo, 9999-12-31) moved last_scheduled_for there and every later period
--    was refused as older (SR007): the schedule was silent for good, with no alert. The service role's POST /runs
--    now refuses a scheduledFor more than 5 minutes ahead of the function's clock (the bound is the API's: the
--    tests tick on clocks ahead of the database's), and the trigger refuses a period that is not finite (SR005).
--    A schedule already stuck ahead gets back the newest period that really ran.
-- 3. A changed cron expression or time zone kept active_from, so the next tick took every period of the new
--    expression between the last run and now as due: it started one at once and reported the rest as missed (a
--    daily schedule changed to every 5 minutes: 11 "missed" periods from before the change). Now a change of either
--    starts the schedule at the change (active_from = now(), as re-enabling it does), unless p_active_from is given.

create or replace function sync_private.track_scheduled_period()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_last timestamptz;
  v_existing uuid;
begin
  if not pg_catalog.isfinite(new.scheduled_for) then
    raise exception 'scheduled_for must be a finite instant, got %', new.scheduled_for using errcode = 'SR005';
  end if;
  update public.sync_schedules s
  set last_scheduled_for = new.scheduled_for
  where s.org_id = new.org_id
    and s.integration_type = new.integration_type
    and (s.last_scheduled_for is null or s.last_scheduled_for < new.scheduled_for);
  if not found then
    select s.last_scheduled_for into v_last
    from public.sync_schedules s
    where s.org_id = new.org_id and s.integration_type = new.integration_type;
    if v_last > new.scheduled_for then
      raise exception 'period % is older than the newest started period % of %: not started',
        new.scheduled_for, v_last, new.integration_type
        using errcode = 'SR007', detail = v_last::text;
    end if;
  end if;
  select r.id into v_existing
  from public.sync_run_log r
  where r.org_id = new.org_id and r.integration_type = new.integration_type and r.scheduled_for = new.scheduled_for
  limit 1;
  if not found then
    select a.id into v_existing
    from public.sync_run_log_archive a
    where a.org_id = new.org_id and a.integration_type = new.integration_type and a.scheduled_for = new.scheduled_for
    limit 1;
  end if;
  if v_existing is not null then
    raise exception 'period % of % already has a run: a period runs once', new.scheduled_for, new.integration_type
      using errcode = 'SR002', detail = v_existing::text;
  end if;
  return new;
end
$$;

comment on function sync_private.track_scheduled_period() is
  'Trigger: keeps sync_schedules.last_scheduled_for at the newest started period; SR007 for an older period, SR002 '
  'for a period that has a run (any key, hot or archived), SR005 for a period that is not finite.';

create or replace function public.upsert_sync_schedule(
  p_org_id uuid,
  p_integration_type text,
  p_cron_expression text,
  p_time_zone text default 'Europe/Oslo',
  p_enabled boolean default true,
  p_run_timeout_seconds integer default 1800,
  p_active_from timestamptz default null
)
returns public.sync_schedules
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_error text;
  v_row public.sync_schedules;
begin
  if p_org_id is null then
    raise exception 'org_id is required' using errcode = 'SR005';
  end if;
  if p_integration_type is null or p_integration_type !~ '^[a-z][a-z0-9_]{1,62}$' then
    raise exception 'integration_type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)' using errcode = 'SR005';
  end if;
  v_error := coalesce(sync_private.cron_expression_error(p_cron_expression), sync_private.time_zone_error(p_time_zone));
  if v_error is not null then
    raise exception '%', v_error using errcode = 'SR005';
  end if;
  if p_enabled is null then
    raise exception 'enabled must be true or false' using errcode = 'SR005';
  end if;
  if p_run_timeout_seconds is null or p_run_timeout_seconds not between 60 and 86400 then
    raise exception 'run timeout must be between 60 and 86400 seconds, got %', coalesce(p_run_timeout_seconds::text, 'null')
      using errcode = 'SR005';
  end if;

  insert into public.sync_schedules as s
    (org_id, integration_type, cron_expression, time_zone, enabled, run_timeout_seconds, active_from)
  values
    (p_org_id, p_integration_type, btrim(p_cron_expression), p_time_zone, p_enabled, p_run_timeout_seconds,
     coalesce(p_active_from, now()))
  on conflict (org_id, integration_type) do update
  set cron_expression = excluded.cron_expression,
      time_zone = excluded.time_zone,
      enabled = excluded.enabled,
      run_timeout_seconds = excluded.run_timeout_seconds,
      active_from = case
        when p_active_from is not null then p_active_from
        when excluded.enabled and not s.enabled then now()
        when excluded.cron_expression <> s.cron_expression or excluded.time_zone <> s.time_zone
          then greatest(s.active_from, now())
        else s.active_from
      end,
      updated_at = now()
  returning s.* into v_row;
  return v_row;
end
$$;

-- A schedule stuck ahead by a far-future period (hole 2) gets back the newest period that really ran (null: none),
-- so its next tick starts the latest due period and reports the ones in between as missed.
update public.sync_schedules s
set last_scheduled_for = (
  select max(r.scheduled_for)
  from public.sync_run_log r
  where r.org_id = s.org_id and r.integration_type = s.integration_type
    and r.scheduled_for <= now() + interval '5 minutes'
)
where s.last_scheduled_for > now() + interval '5 minutes';

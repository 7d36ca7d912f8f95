-- Undoes 20261202001000: the period trigger as 20261128004800 wrote it (a second run of a period refused only under
-- the same key; no bound on scheduled_for) and upsert_sync_schedule as 20261128002400 wrote it (a changed expression
-- or zone keeps active_from). The repaired last_scheduled_for values stay: they are the periods that ran.
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
    if v_last = new.scheduled_for and new.idempotency_key is not null then
      select r.id into v_existing
      from public.sync_run_log r
      where r.org_id = new.org_id and r.idempotency_key = new.idempotency_key;
      if found then
        raise exception 'a run with idempotency key % already exists for this org', new.idempotency_key
          using errcode = 'SR002', detail = v_existing::text;
      end if;
    end if;
  end if;
  return new;
end
$$;

comment on function sync_private.track_scheduled_period() is
  'Trigger: keeps sync_schedules.last_scheduled_for at the newest started period; SR007 for an older period, SR002 for one started meanwhile.';

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
        else s.active_from
      end,
      updated_at = now()
  returning s.* into v_row;
  return v_row;
end
$$;

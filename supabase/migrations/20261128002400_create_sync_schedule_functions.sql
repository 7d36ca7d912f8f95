-- The schedule API: writes for the service role (security definer: nobody holds a write grant on the table),
-- reads for coordinators and admins (security invoker: RLS applies). Bad input is refused with SR005 and a
-- message that says what is wrong; nothing is written.

-- upsert_sync_schedule: creates or replaces the schedule of (org, integration) and returns it.
-- active_from: p_active_from when given; otherwise now() for a new schedule or one being enabled again (the time it
-- was off is not caught up), else unchanged. The newest started period (last_scheduled_for) is kept.
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

comment on function public.upsert_sync_schedule(uuid, text, text, text, boolean, integer, timestamptz) is
  'Creates or replaces the schedule of an org''s integration. SR005 on a malformed cron expression, an unknown '
  'time zone or a timeout outside 60..86400 s.';
revoke all on function public.upsert_sync_schedule(uuid, text, text, text, boolean, integer, timestamptz)
  from public, anon, authenticated;
grant execute on function public.upsert_sync_schedule(uuid, text, text, text, boolean, integer, timestamptz)
  to service_role;

-- set_sync_schedule_enabled: turns a schedule on or off. Turning it on starts counting periods from now().
create or replace function public.set_sync_schedule_enabled(p_org_id uuid, p_integration_type text, p_enabled boolean)
returns public.sync_schedules
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row public.sync_schedules;
begin
  if p_enabled is null then
    raise exception 'enabled must be true or false' using errcode = 'SR005';
  end if;
  update public.sync_schedules s
  set enabled = p_enabled,
      active_from = case when p_enabled and not s.enabled then now() else s.active_from end,
      updated_at = now()
  where s.org_id = p_org_id and s.integration_type = p_integration_type
  returning s.* into v_row;
  if not found then
    raise exception 'no schedule for % in this org', coalesce(p_integration_type, 'null') using errcode = 'SR003';
  end if;
  return v_row;
end
$$;

comment on function public.set_sync_schedule_enabled(uuid, text, boolean) is
  'Enables or disables a schedule (SR003 when there is none). Enabling starts counting periods from now.';
revoke all on function public.set_sync_schedule_enabled(uuid, text, boolean) from public, anon, authenticated;
grant execute on function public.set_sync_schedule_enabled(uuid, text, boolean) to service_role;

-- delete_sync_schedule: removes a schedule; true when there was one. Its runs stay in the run log.
create or replace function public.delete_sync_schedule(p_org_id uuid, p_integration_type text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.sync_schedules s where s.org_id = p_org_id and s.integration_type = p_integration_type;
  return found;
end
$$;

comment on function public.delete_sync_schedule(uuid, text) is
  'Deletes the schedule of an org''s integration; returns whether there was one. The run log is untouched.';
revoke all on function public.delete_sync_schedule(uuid, text) from public, anon, authenticated;
grant execute on function public.delete_sync_schedule(uuid, text) to service_role;

-- get_sync_schedules: the schedules of an org, by integration. Runs as the caller: RLS applies.
create or replace function public.get_sync_schedules(p_org_id uuid)
returns setof public.sync_schedules
language sql
stable
security invoker
set search_path = ''
as $$
  select s.* from public.sync_schedules s where s.org_id = p_org_id order by s.integration_type
$$;

comment on function public.get_sync_schedules(uuid) is
  'The schedules of an org, ordered by integration. Runs as the caller: RLS applies.';
revoke all on function public.get_sync_schedules(uuid) from public, anon, authenticated;
grant execute on function public.get_sync_schedules(uuid) to authenticated, service_role;

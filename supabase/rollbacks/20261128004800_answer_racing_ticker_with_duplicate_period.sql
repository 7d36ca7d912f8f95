-- Back to the version of 20261128002910.
create or replace function sync_private.track_scheduled_period()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_last timestamptz;
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
  end if;
  return new;
end
$$;

comment on function sync_private.track_scheduled_period() is
  'Trigger: keeps sync_schedules.last_scheduled_for at the newest started period; SR007 for an older period.';

-- A ticker whose insert waited for the schedule row while another ticker started the same period now gets the
-- answer insert_run_log gives for a used period key, SR002 duplicate_period with the run's id, instead of the one-
-- running index's SR001 already_running that the insert would hit first (which promises a retry that never comes:
-- the period has run). Nothing else changes: the same period is still never started twice.
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

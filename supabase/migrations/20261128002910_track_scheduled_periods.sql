-- Every scheduler run moves its schedule's last_scheduled_for forward, in the same statement that inserts the run,
-- and a run for a period older than the newest started one is refused (SR007): a delayed or retried tick can never
-- start an old period after a newer one has started. The schedule row is locked while the run is inserted, so
-- concurrent tickers of one schedule queue here and each sees what the one before it did.
-- Runs of an (org, integration) without a schedule (or manual runs) are not touched.
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
revoke all on function sync_private.track_scheduled_period() from public;

drop trigger if exists sync_run_log_track_scheduled_period on public.sync_run_log;
create trigger sync_run_log_track_scheduled_period
  before insert on public.sync_run_log
  for each row
  when (new.triggered_by = 'scheduler' and new.scheduled_for is not null)
  execute function sync_private.track_scheduled_period();

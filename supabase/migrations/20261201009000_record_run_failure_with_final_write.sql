-- A failed scheduled run's alert is written with its failure. The executor recorded the run_failed alert
-- (record_run_failure, 20261201006000) in a second call after the final write; when the database could not be
-- reached between the two, or the final write's answer was lost and its retry found the run ended, the period had
-- failed and nobody was told. update_run_log_status now records it in the same transaction as the failure: both or
-- neither, and the executor's retries of the final write cover both. The executor then reads the alert this run
-- opened (run_failure_alert) to log and POST it; should that read fail, the alert is a row all the same.
-- Only scheduled runs failed through update_run_log_status: a manual run records none, a run the reaper fails has its
-- stuck_run alert, and the demo seed, which writes history rows directly, still calls record_run_failure itself.

create or replace function public.update_run_log_status(
  p_run_id uuid,
  p_status text,
  p_records_processed integer,
  p_records_failed integer,
  p_error_message text
)
returns public.sync_run_log
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row public.sync_run_log;
  v_current text;
begin
  if p_run_id is null then
    raise exception 'run id is required' using errcode = 'SR005';
  end if;
  if p_status is null or p_status not in ('running', 'completed', 'failed', 'cancelled') then
    raise exception 'status must be running, completed, failed or cancelled' using errcode = 'SR005';
  end if;
  if p_records_processed < 0 or p_records_failed < 0 then
    raise exception 'record counts must be zero or more' using errcode = 'SR005';
  end if;

  update public.sync_run_log r
  set status = p_status,
      records_processed = coalesce(p_records_processed, r.records_processed),
      records_failed = coalesce(p_records_failed, r.records_failed),
      error_message = left(p_error_message, 2000),
      heartbeat_at = now(),
      ended_at = case when p_status in ('completed', 'failed', 'cancelled') then now() end
  where r.id = p_run_id and r.status in ('pending', 'running')
  returning r.* into v_row;

  if found then
    if p_status = 'failed' and v_row.triggered_by = 'scheduler' then
      perform public.record_run_failure(v_row.id);
    end if;
    return v_row;
  end if;

  select r.status into v_current from public.sync_run_log r where r.id = p_run_id;
  if not found then
    raise exception 'run % not found', p_run_id using errcode = 'SR003';
  end if;
  raise exception 'run % is % and no longer running', p_run_id, v_current
    using errcode = 'SR004', detail = v_current;
end
$$;

comment on function public.update_run_log_status(uuid, text, integer, integer, text) is
  'Moves a running run on: progress (running) or final (completed, failed, cancelled); a failed scheduled run''s '
  'run_failed alert is recorded with it (record_run_failure). '
  'SR003 unknown run, SR004 run no longer running, SR005 invalid input, SR006 transition refused.';

-- run_failure_alert: the run_failed alert that this run opened, for its executor to log and POST; nothing when its
-- failure was counted into an open alert (the alert's first run told already) or when it has none.
create or replace function public.run_failure_alert(p_org_id uuid, p_run_id uuid)
returns setof public.sync_alerts
language sql
stable
security invoker
set search_path = ''
as $$
  select a.* from public.sync_alerts a
  where a.org_id = p_org_id and a.run_id = p_run_id and a.kind = 'run_failed' -- sync_alerts_run_idx
$$;

comment on function public.run_failure_alert(uuid, uuid) is
  'The run_failed alert a failed scheduled run opened (update_run_log_status records it), to notify. '
  'Service role only.';
revoke all on function public.run_failure_alert(uuid, uuid) from public, anon, authenticated;
grant execute on function public.run_failure_alert(uuid, uuid) to service_role;

-- Undoes 20261201009000: update_run_log_status as 20261128000500 wrote it (the executor records a failed run's alert
-- in a call of its own), and run_failure_alert gone.
drop function if exists public.run_failure_alert(uuid, uuid);

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
  'Moves a running run on: progress (running) or final (completed, failed, cancelled). '
  'SR003 unknown run, SR004 run no longer running, SR005 invalid input, SR006 transition refused.';

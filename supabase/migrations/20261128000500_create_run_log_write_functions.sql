-- The write half of the run log's RPC API. Executable by service_role only: clients never write directly,
-- they go through the sync-run-log Edge Function, which checks who they are and calls these.
--
-- Error codes (class SR, documented in docs/errors.md):
--   SR001 already running for this org and integration   SR002 duplicate idempotency key (detail: existing run id)
--   SR003 run not found                                   SR004 run is no longer running
--   SR005 invalid argument                                SR006 invalid status transition (trigger)

-- insert_run_log: start a run (status running, started_at = heartbeat_at = now()) and return its id.
-- Why a function: the one-running-run and one-run-per-key rules come back as distinct, documented errors.
create or replace function public.insert_run_log(
  p_org_id uuid,
  p_integration_type text,
  p_triggered_by text,
  p_scheduled_for timestamptz default null,
  p_idempotency_key text default null
)
returns uuid
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_id uuid;
  v_existing uuid;
  v_constraint text;
begin
  if p_org_id is null then
    raise exception 'org_id is required' using errcode = 'SR005';
  end if;
  if p_integration_type is null or p_integration_type !~ '^[a-z][a-z0-9_]{1,62}$' then
    raise exception 'integration_type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)'
      using errcode = 'SR005';
  end if;
  if p_triggered_by is null or p_triggered_by not in ('scheduler', 'manual') then
    raise exception 'triggered_by must be scheduler or manual' using errcode = 'SR005';
  end if;
  if p_triggered_by = 'manual' and p_scheduled_for is not null then
    raise exception 'a manual run has no scheduled period (scheduled_for must be null)' using errcode = 'SR005';
  end if;
  if p_idempotency_key is not null and char_length(p_idempotency_key) not between 1 and 200 then
    raise exception 'idempotency_key must be 1 to 200 characters' using errcode = 'SR005';
  end if;

  if p_idempotency_key is not null then
    select r.id into v_existing
    from public.sync_run_log r
    where r.org_id = p_org_id and r.idempotency_key = p_idempotency_key;
    if found then
      raise exception 'a run with idempotency key % already exists for this org', p_idempotency_key
        using errcode = 'SR002', detail = v_existing::text;
    end if;
  end if;

  begin
    insert into public.sync_run_log
      (org_id, integration_type, status, started_at, heartbeat_at, triggered_by, scheduled_for, idempotency_key)
    values
      (p_org_id, p_integration_type, 'running', now(), now(), p_triggered_by, p_scheduled_for, p_idempotency_key)
    returning id into v_id;
  exception when unique_violation then
    get stacked diagnostics v_constraint = constraint_name;
    if v_constraint = 'sync_run_log_idempotency_key_idx' then
      select r.id into v_existing
      from public.sync_run_log r
      where r.org_id = p_org_id and r.idempotency_key = p_idempotency_key;
      raise exception 'a run with idempotency key % already exists for this org', p_idempotency_key
        using errcode = 'SR002', detail = coalesce(v_existing::text, '');
    elsif v_constraint = 'sync_run_log_one_running_idx' then
      raise exception '% is already running for this org', p_integration_type
        using errcode = 'SR001';
    end if;
    raise;
  end;

  return v_id;
end
$$;

comment on function public.insert_run_log(uuid, text, text, timestamptz, text) is
  'Starts a run (status running). SR001 when one is already running for the org and integration, '
  'SR002 (detail: existing run id) when the idempotency key was used, SR005 on invalid input.';
revoke all on function public.insert_run_log(uuid, text, text, timestamptz, text) from public, anon, authenticated;
grant execute on function public.insert_run_log(uuid, text, text, timestamptz, text) to service_role;

-- update_run_log_status: one atomic transition of a run that is still pending or running.
-- running -> running is a progress update (counters, heartbeat); a final status sets ended_at.
-- A null error message clears the previous one; a longer one than 2000 characters is cut to 2000.
-- Null counters keep the current values. A finished run is never overwritten (SR004).
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
revoke all on function public.update_run_log_status(uuid, text, integer, integer, text) from public, anon, authenticated;
grant execute on function public.update_run_log_status(uuid, text, integer, integer, text) to service_role;

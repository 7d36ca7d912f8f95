-- Undoes 20261202011000: start_scheduled_period goes; insert_run_log as 20261202005000 wrote it.
drop function if exists public.start_scheduled_period(uuid, text, timestamptz, text, uuid, timestamptz[], integer);

create or replace function public.insert_run_log(
  p_org_id uuid,
  p_integration_type text,
  p_triggered_by text,
  p_scheduled_for timestamptz default null,
  p_idempotency_key text default null,
  p_run_id uuid default null
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
    if not found then
      select a.id into v_existing -- sync_run_log_archive_idempotency_key_idx
      from public.sync_run_log_archive a
      where a.org_id = p_org_id and a.idempotency_key = p_idempotency_key
      limit 1;
    end if;
    if v_existing is not null then
      raise exception 'a run with idempotency key % already exists for this org', p_idempotency_key
        using errcode = 'SR002', detail = v_existing::text;
    end if;
  end if;

  begin
    insert into public.sync_run_log
      (id, org_id, integration_type, status, started_at, heartbeat_at, triggered_by, scheduled_for, idempotency_key)
    values
      (coalesce(p_run_id, gen_random_uuid()), p_org_id, p_integration_type, 'running', now(), now(), p_triggered_by,
       p_scheduled_for, p_idempotency_key)
    returning id into v_id;
  exception when unique_violation then
    get stacked diagnostics v_constraint = constraint_name;
    if v_constraint = 'sync_run_log_idempotency_key_idx' then
      select r.id into v_existing
      from public.sync_run_log r
      where r.org_id = p_org_id and r.idempotency_key = p_idempotency_key;
      raise exception 'a run with idempotency key % already exists for this org', p_idempotency_key
        using errcode = 'SR002', detail = coalesce(v_existing::text, '');
    elsif v_constraint = 'sync_run_log_one_active_idx' then
      select r.id into v_existing
      from public.sync_run_log r
      where r.org_id = p_org_id and r.integration_type = p_integration_type and r.status in ('pending', 'running');
      raise exception '% is already queued or running for this org', p_integration_type
        using errcode = 'SR001', detail = coalesce(v_existing::text, '');
    end if;
    raise;
  end;

  return v_id;
end
$$;

comment on function public.insert_run_log(uuid, text, text, timestamptz, text, uuid) is
  'Starts a run (status running), under p_run_id when given (else a new id). SR001 (detail: existing run id) when one '
  'is queued or running for the org and integration, SR002 (detail: existing run id) when the idempotency key was '
  'used (by a run in the hot table or the archive), SR005 on invalid input.';
revoke all on function public.insert_run_log(uuid, text, text, timestamptz, text, uuid) from public, anon, authenticated;
grant execute on function public.insert_run_log(uuid, text, text, timestamptz, text, uuid) to service_role;

-- Two holes a review of 2026-12-02 found, each reproduced:
-- 1. A period's missed-periods alert was a second call after its start: when the database could not answer it
--    (three tries over 2.5 s) or the tick died between the two, the start had moved the schedule past the missed
--    periods and no later tick listed them again: missed, and never told. start_scheduled_period starts the period
--    and records the periods it overtook in one transaction: both or neither.
-- 2. insert_run_log took a p_run_id that an archived run has: get_run then showed the new run in the archived one's
--    place, and once the new run was archived too, every archival pass failed on the archive's primary key. It is
--    refused now (SR005), as is an id a run of the hot table has (it was a bare unique violation).
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

  -- An id is a run's for good: an archived run keeps its id (get_run finds it), so a new run may not take it.
  if p_run_id is not null and exists (select 1 from public.sync_run_log_archive a where a.id = p_run_id) then
    raise exception 'run id % is taken by an archived run', p_run_id using errcode = 'SR005';
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
    elsif v_constraint = 'sync_run_log_pkey' then
      raise exception 'run id % is taken by another run', p_run_id using errcode = 'SR005';
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
  'used (by a run in the hot table or the archive), SR005 on invalid input or a p_run_id another run has (archived '
  'or not).';
revoke all on function public.insert_run_log(uuid, text, text, timestamptz, text, uuid) from public, anon, authenticated;
grant execute on function public.insert_run_log(uuid, text, text, timestamptz, text, uuid) to service_role;

-- start_scheduled_period: the tick's start of a period (insert_run_log's checks and answers: SR001, SR002 with the
-- run in the way, SR007 for a period older than the newest started), with the periods it overtook recorded as one
-- missed_periods alert (record_missed_periods: the listed periods without a run, the count less those) in the same
-- transaction. Returns that alert, or nothing when none was missed.
create or replace function public.start_scheduled_period(
  p_org_id uuid,
  p_integration_type text,
  p_scheduled_for timestamptz,
  p_idempotency_key text,
  p_run_id uuid,
  p_missed_periods timestamptz[] default null,
  p_total_missed integer default null
)
returns setof public.sync_alerts
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_scheduled_for is null or p_run_id is null then
    raise exception 'a scheduled period needs its instant and the run id' using errcode = 'SR005';
  end if;
  perform public.insert_run_log(p_org_id, p_integration_type, 'scheduler', p_scheduled_for, p_idempotency_key,
    p_run_id);
  if coalesce(p_total_missed, 0) > 0 or coalesce(cardinality(p_missed_periods), 0) > 0 then
    return query select * from public.record_missed_periods(p_run_id, p_missed_periods, p_total_missed);
  end if;
end
$$;

comment on function public.start_scheduled_period(uuid, text, timestamptz, text, uuid, timestamptz[], integer) is
  'Starts a scheduled period under p_run_id and records the periods it overtook (missed_periods alert, returned) in '
  'one transaction. Service role only.';
revoke all on function public.start_scheduled_period(uuid, text, timestamptz, text, uuid, timestamptz[], integer)
  from public, anon, authenticated;
grant execute on function public.start_scheduled_period(uuid, text, timestamptz, text, uuid, timestamptz[], integer)
  to service_role;

-- get_period_outcomes, compact: the scheduler runs of the given periods of an org's schedule, as one JSON array of
-- arrays, oldest first, only the periods that have a run:
--   [scheduled_for, run_id, status, started_at, ended_at, records_processed, records_failed, drift_seconds, archived]
-- (drift_seconds = started_at - scheduled_for in seconds, numeric to the microsecond; archived: found in
-- sync_run_log_archive). A period without a run is absent: the caller, which sent the periods (computed from the
-- cron expression; at most 1000, duplicates and nulls ignored), knows it has none and decides missed or upcoming
-- from its clock. Timestamps are rendered as to_json renders timestamptz, exactly as the earlier table rows were.
-- A period's run is the run with its key `<integration>:<period, ISO 8601 UTC to the millisecond>` (what the
-- scheduler writes, unique per org; a manual run never has one) and that scheduled_for. The runs are found by one
-- range scan of sync_run_log_org_integration_started_idx over the started_at window [first period - 1 hour, last
-- period + 1 day) (a scheduler run starts at or shortly after its period), matched to the periods by key; only the
-- periods left without a run are probed one by one by key: in sync_run_log (a run that started outside the window)
-- and, where there is none there, in sync_run_log_archive. So the answer is the same as one probe per period, at the
-- cost of one scan plus a probe per missed period.
-- No schedule the caller can see for the integration (another org's under RLS, or none): null (no ledger at all,
-- where [] says that none of the periods has a run).
-- Runs as the caller: RLS applies. Replaces the table-returning version of 20261201001900 (its rollback restores it).
drop function if exists public.get_period_outcomes(uuid, text, timestamptz[]);

create function public.get_period_outcomes(
  p_org_id uuid,
  p_integration_type text,
  p_periods timestamptz[]
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_first timestamptz;
  v_last timestamptz;
begin
  if p_integration_type is null or p_integration_type !~ '^[a-z][a-z0-9_]{1,62}$' then
    raise exception 'integration_type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)' using errcode = 'SR005';
  end if;
  if p_periods is null then
    raise exception 'periods are required' using errcode = 'SR005';
  end if;
  if cardinality(p_periods) > 1000 then
    raise exception 'at most 1000 periods, got %', cardinality(p_periods) using errcode = 'SR005';
  end if;
  if not exists (
    select 1 from public.sync_schedules s where s.org_id = p_org_id and s.integration_type = p_integration_type
  ) then
    return null;
  end if;
  select min(u.period), max(u.period) into v_first, v_last from unnest(p_periods) as u(period);
  if v_first is null then
    return '[]'::json;
  end if;

  return (
    with periods as (
      select distinct u.period,
        p_integration_type || ':' || to_char(u.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as key
      from unnest(p_periods) as u(period)
      where u.period is not null
    ),
    found as (
      select p.period,
        coalesce(w.id, h.id, a.id) as id,
        coalesce(w.status, h.status, a.status) as status,
        coalesce(w.started_at, h.started_at, a.started_at) as started_at,
        coalesce(w.ended_at, h.ended_at, a.ended_at) as ended_at,
        coalesce(w.records_processed, h.records_processed, a.records_processed) as records_processed,
        coalesce(w.records_failed, h.records_failed, a.records_failed) as records_failed,
        a.id is not null as archived
      from periods p
      left join (
        select r.id, r.status, r.started_at, r.ended_at, r.records_processed, r.records_failed, r.scheduled_for,
          r.idempotency_key
        from public.sync_run_log r
        where r.org_id = p_org_id
          and r.integration_type = p_integration_type
          and r.started_at >= v_first - interval '1 hour'
          and r.started_at < v_last + interval '1 day'
      ) w on w.idempotency_key = p.key and w.scheduled_for = p.period
      left join lateral (
        select r.id, r.status, r.started_at, r.ended_at, r.records_processed, r.records_failed
        from public.sync_run_log r
        where w.id is null
          and r.org_id = p_org_id
          and r.idempotency_key = p.key
          and r.integration_type = p_integration_type
          and r.scheduled_for = p.period
      ) h on true
      left join lateral (
        select r.id, r.status, r.started_at, r.ended_at, r.records_processed, r.records_failed
        from public.sync_run_log_archive r
        where w.id is null
          and h.id is null
          and r.org_id = p_org_id
          and r.idempotency_key = p.key
          and r.integration_type = p_integration_type
          and r.scheduled_for = p.period
      ) a on true
    )
    select coalesce(
      json_agg(
        json_build_array(
          f.period, f.id, f.status, f.started_at, f.ended_at, f.records_processed, f.records_failed,
          extract(epoch from (f.started_at - f.period)), f.archived
        )
        order by f.period
      ),
      '[]'::json
    )
    from found f
    where f.id is not null
  );
end
$$;

comment on function public.get_period_outcomes(uuid, text, timestamptz[]) is
  'The scheduler runs of the given periods (at most 1000) of an org''s schedule (hot table or archive), as a JSON '
  'array of [scheduled_for, run_id, status, started_at, ended_at, records_processed, records_failed, drift_seconds, '
  'archived], oldest first, periods without a run left out. Null without a visible schedule. Runs as the caller.';
revoke all on function public.get_period_outcomes(uuid, text, timestamptz[]) from public, anon, authenticated;
grant execute on function public.get_period_outcomes(uuid, text, timestamptz[]) to authenticated, service_role;

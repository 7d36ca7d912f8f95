-- Undoes 20261201004000: get_period_outcomes (20261201003000's body) instead of get_period_runs, the archive's key
-- index again, and no period indexes.
drop function if exists public.get_period_runs(uuid, text, timestamptz, timestamptz);
drop index if exists public.sync_run_log_org_integration_period_idx;
drop index if exists public.sync_run_log_archive_org_integration_period_idx;
create index if not exists sync_run_log_archive_idempotency_key_idx
  on public.sync_run_log_archive (org_id, idempotency_key) where idempotency_key is not null;

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

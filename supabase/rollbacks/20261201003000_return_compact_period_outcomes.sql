-- Undoes 20261201003000: get_period_outcomes returns one table row per period again (20261201001900's body).
drop function if exists public.get_period_outcomes(uuid, text, timestamptz[]);

create or replace function public.get_period_outcomes(
  p_org_id uuid,
  p_integration_type text,
  p_periods timestamptz[]
)
returns table (
  scheduled_for timestamptz,
  run_id uuid,
  status text,
  started_at timestamptz,
  ended_at timestamptz,
  records_processed integer,
  records_failed integer,
  drift_seconds numeric,
  archived boolean
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
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
    return;
  end if;

  return query
    select
      p.period,
      coalesce(h.id, a.id),
      coalesce(h.status, a.status),
      coalesce(h.started_at, a.started_at),
      coalesce(h.ended_at, a.ended_at),
      coalesce(h.records_processed, a.records_processed),
      coalesce(h.records_failed, a.records_failed),
      extract(epoch from (coalesce(h.started_at, a.started_at) - p.period)),
      a.id is not null
    from (
      select distinct u.period,
        p_integration_type || ':' || to_char(u.period at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as key
      from unnest(p_periods) as u(period)
      where u.period is not null
    ) p
    left join lateral (
      select r.id, r.status, r.started_at, r.ended_at, r.records_processed, r.records_failed
      from public.sync_run_log r
      where r.org_id = p_org_id
        and r.idempotency_key = p.key
        and r.integration_type = p_integration_type
        and r.scheduled_for = p.period
    ) h on true
    left join lateral (
      select r.id, r.status, r.started_at, r.ended_at, r.records_processed, r.records_failed
      from public.sync_run_log_archive r
      where h.id is null
        and r.org_id = p_org_id
        and r.idempotency_key = p.key
        and r.integration_type = p_integration_type
        and r.scheduled_for = p.period
    ) a on true
    order by p.period;
end
$$;

comment on function public.get_period_outcomes(uuid, text, timestamptz[]) is
  'For each given period (at most 1000) of an org''s schedule, the scheduler run for it (hot table or archive) with '
  'status, counts and drift, or nulls. No rows without a visible schedule. Runs as the caller: RLS applies.';
revoke all on function public.get_period_outcomes(uuid, text, timestamptz[]) from public, anon, authenticated;
grant execute on function public.get_period_outcomes(uuid, text, timestamptz[]) to authenticated, service_role;

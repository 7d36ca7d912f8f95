-- The read half of the run log's RPC API. security invoker: they run as the caller, so RLS applies
-- (a coordinator of org A asking for org B gets nothing). Executable by authenticated and service_role.

-- get_last_run_per_integration: the newest run (by started_at) of each integration of an org.
-- Why this shape: a loose index scan over (org_id, integration_type, started_at desc) — one index probe per
-- integration — so its cost follows the number of integrations, not the length of the history.
-- plpgsql rather than sql: PL/pgSQL keeps the query's plan for the session, an SQL function plans it on every call;
-- and always the generic plan: it is the right one for every org (an index probe per integration), and re-planning
-- per call (what plan_cache_mode = auto chose for larger orgs) costs more than the query (measured: 1.25 vs 0.78 ms).
create or replace function public.get_last_run_per_integration(p_org_id uuid)
returns setof public.sync_run_log
language plpgsql
stable
security invoker
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
begin
  return query
    with recursive latest as (
      (
        select r
        from public.sync_run_log r
        where r.org_id = p_org_id
        order by r.integration_type, r.started_at desc
        limit 1
      )
      union all
      select (
        select n
        from public.sync_run_log n
        where n.org_id = p_org_id and n.integration_type > (l.r).integration_type
        order by n.integration_type, n.started_at desc
        limit 1
      )
      from latest l
      where (l.r).id is not null
    )
    select (l.r).*
    from latest l
    where (l.r).id is not null
    order by (l.r).integration_type;
end
$$;

comment on function public.get_last_run_per_integration(uuid) is
  'Newest run per integration of an org, by a loose index scan (cost independent of history length). Runs as the caller: RLS applies.';
revoke all on function public.get_last_run_per_integration(uuid) from public, anon, authenticated;
grant execute on function public.get_last_run_per_integration(uuid) to authenticated, service_role;

-- get_run_history: the newest p_limit runs of one integration of an org, newest first. p_limit is 1..1000.
create or replace function public.get_run_history(p_org_id uuid, p_integration_type text, p_limit integer)
returns setof public.sync_run_log
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'limit must be between 1 and 1000, got %', coalesce(p_limit::text, 'null')
      using errcode = 'SR005';
  end if;
  if p_integration_type is null then
    raise exception 'integration_type is required' using errcode = 'SR005';
  end if;

  return query
    select r.*
    from public.sync_run_log r
    where r.org_id = p_org_id and r.integration_type = p_integration_type
    order by r.started_at desc
    limit p_limit;
end
$$;

comment on function public.get_run_history(uuid, text, integer) is
  'Run history of one integration of an org, newest first, at most p_limit (1..1000) rows. Runs as the caller: RLS applies.';
revoke all on function public.get_run_history(uuid, text, integer) from public, anon, authenticated;
grant execute on function public.get_run_history(uuid, text, integer) to authenticated, service_role;

-- get_integration_health: the health rows of an org, by integration. security invoker: it runs as the caller,
-- so RLS applies (a coordinator of org A asking for org B gets nothing). Served as GET /functions/v1/sync-run-log/health.
create or replace function public.get_integration_health(p_org_id uuid)
returns setof public.integration_health
language sql
stable
security invoker
set search_path = ''
as $$
  select h.*
  from public.integration_health h
  where h.org_id = p_org_id
  order by h.integration_type
$$;

comment on function public.get_integration_health(uuid) is
  'Health monitor state of each integration of an org. Runs as the caller: RLS applies.';
revoke all on function public.get_integration_health(uuid) from public, anon, authenticated;
grant execute on function public.get_integration_health(uuid) to authenticated, service_role;

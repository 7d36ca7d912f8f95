-- Undoes 20261201005000: get_integrations_overview(p_org_id) of 20261201002100 again (every integration type the
-- org has anything of), instead of the one reading the integrations asked for.
drop function if exists public.get_integrations_overview(uuid, text[]);

create or replace function public.get_integrations_overview(p_org_id uuid)
returns table (
  integration_type text,
  connection public.sync_connection_settings,
  schedule public.sync_schedules,
  health public.integration_health,
  last_run public.sync_run_log,
  open_alerts integer
)
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
    ),
    last_runs as (
      select (l.r).integration_type as integration_type, l.r as run
      from latest l
      where (l.r).id is not null
    ),
    types as (
      select c.integration_type from public.sync_connection_settings c where c.org_id = p_org_id
      union
      select s.integration_type from public.sync_schedules s where s.org_id = p_org_id
      union
      select h.integration_type from public.integration_health h where h.org_id = p_org_id
      union
      select lr.integration_type from last_runs lr
      union
      select a.integration_type from public.sync_alerts a
      where a.org_id = p_org_id and a.acknowledged_at is null and a.integration_type is not null
    )
    select
      t.integration_type,
      c,
      s,
      h,
      lr.run,
      (
        select count(*)::integer
        from public.sync_alerts a
        where a.org_id = p_org_id and a.integration_type = t.integration_type and a.acknowledged_at is null
      )
    from types t
    left join public.sync_connection_settings c on c.org_id = p_org_id and c.integration_type = t.integration_type
    left join public.sync_schedules s on s.org_id = p_org_id and s.integration_type = t.integration_type
    left join public.integration_health h on h.org_id = p_org_id and h.integration_type = t.integration_type
    left join last_runs lr on lr.integration_type = t.integration_type
    order by t.integration_type;
end
$$;

comment on function public.get_integrations_overview(uuid) is
  'Per integration of an org: connection (no secrets), schedule, health, last run and open alert count, in one '
  'statement of index probes. Runs as the caller: RLS applies.';
revoke all on function public.get_integrations_overview(uuid) from public, anon, authenticated;
grant execute on function public.get_integrations_overview(uuid) to authenticated, service_role;

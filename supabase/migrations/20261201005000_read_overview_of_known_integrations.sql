-- get_integrations_overview reads the integrations the caller asks for (the ones the project knows), one index probe
-- of each part per integration, instead of walking every integration type the org's run log holds (a loose index
-- scan) and every type with a connection, schedule, health row or open alert. Why: GET /integrations shows only the
-- known integrations, yet paid for every other type an org had logged runs of (the bench's org has ten: the call took
-- two to three times get_last_run_per_integration's, in process 1.3 ms against 0.6-0.8 ms by types), so its cost
-- grew with types nobody shows.
--
-- get_integrations_overview(p_org_id, p_integration_types): one row per entry of p_integration_types, in that order,
-- each part null where the org has none (and open_alerts 0):
--   connection   settings, enabled, when credentials were set (public.sync_connection_settings: never
--                credentials or the Vault secret id)
--   schedule     the schedule row (cron, time zone, enabled, run timeout, last scheduled period)
--   health       the health monitor's row, as get_integration_health gives it
--   last_run     the newest run (by started_at), from the index on (org, integration, started_at desc)
--   open_alerts  the number of its alerts not acknowledged yet, from the partial index sync_alerts_open_idx
-- p_integration_types: 1 to 100 lowercase identifiers, each once (SR005 otherwise). The TypeScript layer adds the
-- next periods (croner). Runs as the caller: RLS applies (another org's rows are not seen, so its parts are null).
-- PL/pgSQL with a generic plan, as get_last_run_per_integration and for the same reasons (20261128000600).
drop function if exists public.get_integrations_overview(uuid);

create or replace function public.get_integrations_overview(p_org_id uuid, p_integration_types text[])
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
  if p_integration_types is null
    or cardinality(p_integration_types) not between 1 and 100
    or exists (
      select 1 from unnest(p_integration_types) t(integration_type)
      where t.integration_type is null or t.integration_type !~ '^[a-z][a-z0-9_]{1,62}$'
    )
    or cardinality(p_integration_types) <> (select count(distinct t) from unnest(p_integration_types) t)
  then
    raise exception 'integration_types must be 1 to 100 distinct lowercase identifiers (^[a-z][a-z0-9_]{1,62}$)'
      using errcode = 'SR005';
  end if;
  return query
    select
      t.integration_type,
      c,
      s,
      h,
      (
        select r
        from public.sync_run_log r
        where r.org_id = p_org_id and r.integration_type = t.integration_type
        order by r.started_at desc
        limit 1
      ),
      (
        select count(*)::integer
        from public.sync_alerts a
        where a.org_id = p_org_id and a.integration_type = t.integration_type and a.acknowledged_at is null
      )
    from unnest(p_integration_types) with ordinality t(integration_type, position)
    left join public.sync_connection_settings c on c.org_id = p_org_id and c.integration_type = t.integration_type
    left join public.sync_schedules s on s.org_id = p_org_id and s.integration_type = t.integration_type
    left join public.integration_health h on h.org_id = p_org_id and h.integration_type = t.integration_type
    order by t.position;
end
$$;

comment on function public.get_integrations_overview(uuid, text[]) is
  'Per integration asked for, in that order: the org''s connection (no secrets), schedule, health, last run and open '
  'alert count, each null (0) where there is none; index probes only. Runs as the caller: RLS applies.';
revoke all on function public.get_integrations_overview(uuid, text[]) from public, anon, authenticated;
grant execute on function public.get_integrations_overview(uuid, text[]) to authenticated, service_role;

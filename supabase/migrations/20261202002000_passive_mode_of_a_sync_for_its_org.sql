-- A sync rate limited with one org's credentials makes that org's integration passive, not every org's. Passive
-- mode was per integration for every org because the health monitor's ping uses no org's credentials: a 429 there
-- is the deployment's endpoint saying so for all of them. But a sync uses the org's own credentials (and, for
-- Dynamics, its own environment) since connections moved to Vault (20261201001000), so its 429 says nothing of the
-- other orgs; and every other org's row took the sync's error as its last_error, which that org's staff can read:
-- one org's error text shown to another.
-- enter_integration_passive_mode gets p_every_org (default true, the monitor's ping, as before): false changes only
-- p_org_id's row. A caller that does not pass it keeps the old meaning, so a function deployed before this
-- migration keeps working.
drop function if exists public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[]);

create or replace function public.enter_integration_passive_mode(
  p_org_id uuid,
  p_integration_type text,
  p_now timestamptz,
  p_until timestamptz,
  p_error text,
  p_checked_org_ids uuid[] default '{}',
  p_every_org boolean default true
)
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_until timestamptz;
  v_count integer;
begin
  if p_now is null or p_until is null then
    raise exception 'now and until are required' using errcode = 'SR005';
  end if;
  if p_every_org is null then
    raise exception 'every_org must be true or false' using errcode = 'SR005';
  end if;
  perform public.register_integration_health(p_org_id, p_integration_type, p_now);
  v_until := greatest(p_until, p_now + interval '15 minutes');

  update public.integration_health h
  set mode = 'passive',
      passive_until = greatest(case when h.mode = 'passive' then h.passive_until end, v_until),
      next_check_at = greatest(h.next_check_at, case when h.mode = 'passive' then h.passive_until end, v_until),
      last_checked_at = case when h.org_id = any(coalesce(p_checked_org_ids, '{}')) then p_now else h.last_checked_at end,
      last_error = left(coalesce(p_error, 'rate limited'), 2000),
      updated_at = now()
  where h.integration_type = p_integration_type
    and (p_every_org or h.org_id = p_org_id);
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

comment on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[], boolean) is
  'Switches an integration to passive mode until p_until: for every org (p_every_org, the monitor''s ping, which '
  'uses no org''s credentials) or for p_org_id only (a sync rate limited with its own); returns the rows changed.';
revoke all on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[], boolean)
  from public, anon, authenticated;
grant execute on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[], boolean)
  to service_role;

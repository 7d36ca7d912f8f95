-- Undoes 20261202002000: enter_integration_passive_mode as 20261128003300 wrote it (every org's row, always).
drop function if exists public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[], boolean);

create or replace function public.enter_integration_passive_mode(
  p_org_id uuid,
  p_integration_type text,
  p_now timestamptz,
  p_until timestamptz,
  p_error text,
  p_checked_org_ids uuid[] default '{}'
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
  perform public.register_integration_health(p_org_id, p_integration_type, p_now);
  v_until := greatest(p_until, p_now + interval '15 minutes');

  update public.integration_health h
  set mode = 'passive',
      passive_until = greatest(case when h.mode = 'passive' then h.passive_until end, v_until),
      next_check_at = greatest(h.next_check_at, case when h.mode = 'passive' then h.passive_until end, v_until),
      last_checked_at = case when h.org_id = any(coalesce(p_checked_org_ids, '{}')) then p_now else h.last_checked_at end,
      last_error = left(coalesce(p_error, 'rate limited'), 2000),
      updated_at = now()
  where h.integration_type = p_integration_type;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

comment on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[]) is
  'Switches an integration (every org: the credentials are shared) to passive mode until p_until; returns the rows changed.';
revoke all on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[])
  from public, anon, authenticated;
grant execute on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[])
  to service_role;

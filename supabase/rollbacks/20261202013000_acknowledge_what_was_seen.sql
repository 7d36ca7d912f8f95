-- Undoes 20261202013000: acknowledge_sync_alert with three arguments, as 20261201001600 wrote it.
drop function if exists public.acknowledge_sync_alert(uuid, uuid, uuid, integer);

-- acknowledge_sync_alert: marks an alert of p_org_id acknowledged by p_acknowledged_by (the user's id) and returns
-- it. The first acknowledgement is kept: acknowledging again changes nothing and returns the alert as it is.
-- An alert of another org is not found (SR003), exactly as an unknown id.
create or replace function public.acknowledge_sync_alert(
  p_org_id uuid,
  p_alert_id uuid,
  p_acknowledged_by uuid default null
)
returns public.sync_alerts
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row public.sync_alerts;
begin
  if p_org_id is null or p_alert_id is null then
    raise exception 'org_id and alert id are required' using errcode = 'SR005';
  end if;
  update public.sync_alerts a
  set acknowledged_at = now(),
      acknowledged_by = p_acknowledged_by
  where a.id = p_alert_id and a.org_id = p_org_id and a.acknowledged_at is null
  returning a.* into v_row;
  if found then
    return v_row;
  end if;
  select a.* into v_row from public.sync_alerts a where a.id = p_alert_id and a.org_id = p_org_id;
  if not found then
    raise exception 'alert % not found', p_alert_id using errcode = 'SR003';
  end if;
  return v_row;
end
$$;

comment on function public.acknowledge_sync_alert(uuid, uuid, uuid) is
  'Acknowledges an alert of the org (the first acknowledgement is kept) and returns it; SR003 when the org has no '
  'such alert. Service role only: the Edge Function passes the org and user from the verified JWT.';
revoke all on function public.acknowledge_sync_alert(uuid, uuid, uuid) from public, anon, authenticated;
grant execute on function public.acknowledge_sync_alert(uuid, uuid, uuid) to service_role;

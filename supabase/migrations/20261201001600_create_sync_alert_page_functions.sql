-- Alerts for the org's staff: acknowledge one (service role, for the org the Edge Function took from the verified
-- JWT), and read them newest first a page at a time (as the caller, under RLS).

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

-- get_sync_alerts_page: at most p_limit (1..1000) alerts of an org, newest first (created_at desc, id desc); with a
-- cursor, only those after it, i.e. older than (p_before_created_at, p_before_id), the last alert of the previous
-- page. One range scan of sync_alerts_org_created_id_idx whatever the page's depth. Runs as the caller: RLS applies.
create or replace function public.get_sync_alerts_page(
  p_org_id uuid,
  p_limit integer,
  p_before_created_at timestamptz default null,
  p_before_id uuid default null
)
returns setof public.sync_alerts
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'limit must be between 1 and 1000, got %', coalesce(p_limit::text, 'null') using errcode = 'SR005';
  end if;
  if (p_before_created_at is null) <> (p_before_id is null) then
    raise exception 'a cursor needs both created_at and id' using errcode = 'SR005';
  end if;

  -- Two statements rather than one with `p_before_created_at is null or ...`: each keeps its index condition in
  -- the plan PL/pgSQL caches.
  if p_before_created_at is null then
    return query
      select a.* from public.sync_alerts a
      where a.org_id = p_org_id
      order by a.created_at desc, a.id desc
      limit p_limit;
  else
    return query
      select a.* from public.sync_alerts a
      where a.org_id = p_org_id and (a.created_at, a.id) < (p_before_created_at, p_before_id)
      order by a.created_at desc, a.id desc
      limit p_limit;
  end if;
end
$$;

comment on function public.get_sync_alerts_page(uuid, integer, timestamptz, uuid) is
  'A page of an org''s alerts, newest first, after the cursor (created_at, id) when given. Runs as the caller: RLS applies.';
revoke all on function public.get_sync_alerts_page(uuid, integer, timestamptz, uuid) from public, anon, authenticated;
grant execute on function public.get_sync_alerts_page(uuid, integer, timestamptz, uuid) to authenticated, service_role;

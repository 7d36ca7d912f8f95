-- The alert API: record (service role) and read (coordinators and admins, under RLS).

-- record_sync_alert: records an incident and returns it; returns nothing when an alert with the same dedupe key
-- exists already for the org (another ticker recorded it first), so the caller notifies only once.
create or replace function public.record_sync_alert(
  p_org_id uuid,
  p_kind text,
  p_integration_type text default null,
  p_run_id uuid default null,
  p_details jsonb default '{}'::jsonb,
  p_dedupe_key text default null
)
returns setof public.sync_alerts
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_org_id is null then
    raise exception 'org_id is required' using errcode = 'SR005';
  end if;
  if p_kind is null or p_kind !~ '^[a-z][a-z0-9_]{1,62}$' then
    raise exception 'alert kind must be a lowercase identifier' using errcode = 'SR005';
  end if;
  if p_details is not null and jsonb_typeof(p_details) <> 'object' then
    raise exception 'alert details must be a JSON object' using errcode = 'SR005';
  end if;
  return query
    insert into public.sync_alerts as a (org_id, kind, integration_type, run_id, details, dedupe_key)
    values (p_org_id, p_kind, p_integration_type, p_run_id, coalesce(p_details, '{}'::jsonb), p_dedupe_key)
    on conflict (org_id, dedupe_key) where dedupe_key is not null do nothing
    returning a.*;
end
$$;

comment on function public.record_sync_alert(uuid, text, text, uuid, jsonb, text) is
  'Records a scheduler incident; returns it, or nothing when its dedupe key was recorded already. SR005 on bad input.';
revoke all on function public.record_sync_alert(uuid, text, text, uuid, jsonb, text) from public, anon, authenticated;
grant execute on function public.record_sync_alert(uuid, text, text, uuid, jsonb, text) to service_role;

-- get_sync_alerts: the newest p_limit (1..1000) alerts of an org. Runs as the caller: RLS applies.
create or replace function public.get_sync_alerts(p_org_id uuid, p_limit integer default 100)
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
  return query
    select a.* from public.sync_alerts a
    where a.org_id = p_org_id
    order by a.created_at desc
    limit p_limit;
end
$$;

comment on function public.get_sync_alerts(uuid, integer) is
  'The newest alerts of an org (at most p_limit, 1..1000). Runs as the caller: RLS applies.';
revoke all on function public.get_sync_alerts(uuid, integer) from public, anon, authenticated;
grant execute on function public.get_sync_alerts(uuid, integer) to authenticated, service_role;

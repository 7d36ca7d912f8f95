-- Acknowledge what was seen. An open run_failed alert counts later failures into itself (failed_count,
-- 20261201006000), so a coordinator who loaded "3 failures" and pressed Acknowledge after a 4th was counted in
-- acknowledged a failure nobody saw, and the alert that would have shown it was closed. Runs feed financial reports:
-- the acknowledgement may now say how many failures its sender saw, and is refused while the alert counts more.
--
-- acknowledge_sync_alert takes a fourth argument, p_seen_failed_count, default null (acknowledge whatever the alert
-- counts, as before). The three-argument function goes: beside a four-argument one whose fourth has a default, a
-- call with three arguments would be ambiguous. Callers that pass three (by position or by name) get the new one.
-- Error codes: SR003 no such alert (or another org's), SR005 invalid argument, SR009 the alert has changed
-- (DETAIL: the failures it counts now) (docs/errors.md).
drop function if exists public.acknowledge_sync_alert(uuid, uuid, uuid);

-- acknowledge_sync_alert: marks an alert of p_org_id acknowledged by p_acknowledged_by (the user's id) and returns
-- it. The first acknowledgement is kept: acknowledging again changes nothing and returns the alert as it is, whatever
-- count is given. With p_seen_failed_count, an open alert that counts more failures than that (a missing failed_count
-- is one failure) is refused with SR009 and left open. The row is locked first: a failure counted in at the same
-- moment (record_run_failure updates this row) either lands before the check, which then sees it, or waits for the
-- acknowledgement and then opens a new alert.
create or replace function public.acknowledge_sync_alert(
  p_org_id uuid,
  p_alert_id uuid,
  p_acknowledged_by uuid default null,
  p_seen_failed_count integer default null
)
returns public.sync_alerts
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row public.sync_alerts;
  v_failed_count integer;
begin
  if p_org_id is null or p_alert_id is null then
    raise exception 'org_id and alert id are required' using errcode = 'SR005';
  end if;
  if p_seen_failed_count is not null and p_seen_failed_count < 1 then
    raise exception 'the failures seen must be at least 1, got %', p_seen_failed_count using errcode = 'SR005';
  end if;
  select a.* into v_row
  from public.sync_alerts a
  where a.id = p_alert_id and a.org_id = p_org_id
  for update;
  if not found then
    raise exception 'alert % not found', p_alert_id using errcode = 'SR003';
  end if;
  if v_row.acknowledged_at is not null then
    return v_row;
  end if;
  v_failed_count := coalesce((v_row.details ->> 'failed_count')::integer, 1);
  if p_seen_failed_count is not null and v_failed_count > p_seen_failed_count then
    raise exception 'the alert has changed: % failures now, % seen', v_failed_count, p_seen_failed_count
      using errcode = 'SR009', detail = v_failed_count::text;
  end if;
  update public.sync_alerts a
  set acknowledged_at = now(),
      acknowledged_by = p_acknowledged_by
  where a.id = p_alert_id
  returning a.* into v_row;
  return v_row;
end
$$;

comment on function public.acknowledge_sync_alert(uuid, uuid, uuid, integer) is
  'Acknowledges an alert of the org (the first acknowledgement is kept) and returns it; SR003 when the org has no '
  'such alert; with p_seen_failed_count, SR009 (DETAIL: the count now) while the open alert counts more failures. '
  'Service role only: the Edge Function passes the org and user from the verified JWT.';
revoke all on function public.acknowledge_sync_alert(uuid, uuid, uuid, integer) from public, anon, authenticated;
grant execute on function public.acknowledge_sync_alert(uuid, uuid, uuid, integer) to service_role;

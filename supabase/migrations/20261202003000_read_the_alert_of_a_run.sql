-- The tick retries a drift check or a missed-periods record that got no answer (both are idempotent). When the
-- first call had committed and only its answer was lost, the retry found the alert recorded (its dedupe key) and
-- answered "nothing new", so the alert was a row that was never logged or POSTed. run_alert gives the tick the alert
-- of that kind its run has, to notify after such a retry.
create or replace function public.run_alert(p_org_id uuid, p_run_id uuid, p_kind text)
returns setof public.sync_alerts
language sql
stable
security invoker
set search_path = ''
as $$
  select a.* from public.sync_alerts a
  where a.org_id = p_org_id and a.run_id = p_run_id and a.kind = p_kind -- sync_alerts_run_idx
$$;

comment on function public.run_alert(uuid, uuid, text) is
  'The alerts of one kind that a run has (schedule_drift, missed_periods: at most one each), for the tick to notify '
  'after a retried call whose first answer was lost.';
revoke all on function public.run_alert(uuid, uuid, text) from public, anon, authenticated;
grant execute on function public.run_alert(uuid, uuid, text) to service_role;

-- Undoes 20261202008000: run_failure_alert as 20261201009000 wrote it, and run_alert's comment as before.
-- run_failure_alert: the run_failed alert that this run opened, for its executor to log and POST; nothing when its
-- failure was counted into an open alert (the alert's first run told already) or when it has none.
create or replace function public.run_failure_alert(p_org_id uuid, p_run_id uuid)
returns setof public.sync_alerts
language sql
stable
security invoker
set search_path = ''
as $$
  select a.* from public.sync_alerts a
  where a.org_id = p_org_id and a.run_id = p_run_id and a.kind = 'run_failed' -- sync_alerts_run_idx
$$;

comment on function public.run_failure_alert(uuid, uuid) is
  'The run_failed alert a failed scheduled run opened (update_run_log_status records it), to notify. '
  'Service role only.';
revoke all on function public.run_failure_alert(uuid, uuid) from public, anon, authenticated;
grant execute on function public.run_failure_alert(uuid, uuid) to service_role;

comment on function public.run_alert(uuid, uuid, text) is
  'The alerts of one kind that a run has (schedule_drift, missed_periods: at most one each), for the tick to notify '
  'after a retried call whose first answer was lost.';

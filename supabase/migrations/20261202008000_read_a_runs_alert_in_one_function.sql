-- One reader of a run's alert. run_failure_alert (20261201009000) read a run's run_failed alert; run_alert
-- (20261202003000) reads a run's alert of any kind, for the tick. The executor now reads the run_failed one through
-- run_alert too, and run_failure_alert goes.
drop function if exists public.run_failure_alert(uuid, uuid);

comment on function public.run_alert(uuid, uuid, text) is
  'The alerts of one kind that a run has (run_failed, schedule_drift, missed_periods: at most one each), for its '
  'executor or tick to notify: the run_failed alert its final write opened, or one a retried call recorded.';

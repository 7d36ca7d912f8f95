-- Undoes 20261201006000: the function, the service role's update of details and the one-open-alert index gone.
-- Alerts of kind run_failed stay: they are history, and the kind needs nothing of this migration to be read.
drop function if exists public.record_run_failure(uuid);
revoke update (details) on table public.sync_alerts from service_role;
drop index if exists public.sync_alerts_open_run_failed_idx;

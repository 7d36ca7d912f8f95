drop function if exists public.check_run_drift(uuid, integer);
drop function if exists public.drift_seconds(public.sync_run_log);

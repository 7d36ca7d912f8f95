drop trigger if exists sync_run_log_status_transition on public.sync_run_log;
drop function if exists sync_private.enforce_run_status_transition();

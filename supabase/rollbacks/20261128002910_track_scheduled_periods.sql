drop trigger if exists sync_run_log_track_scheduled_period on public.sync_run_log;
drop function if exists sync_private.track_scheduled_period();

alter table public.sync_run_log drop constraint if exists sync_run_log_manual_key_not_a_period;

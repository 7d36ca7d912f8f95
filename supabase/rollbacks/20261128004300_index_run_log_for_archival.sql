drop index if exists public.sync_run_log_started_at_idx;

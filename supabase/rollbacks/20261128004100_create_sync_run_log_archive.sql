drop table if exists public.sync_run_log_archive;

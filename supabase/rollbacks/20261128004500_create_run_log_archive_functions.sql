drop function if exists public.get_run_log_archival_status();
drop procedure if exists public.archive_run_log_in_batches(interval, integer, text, bigint);
drop function if exists public.archive_run_log(interval, integer, text);
drop function if exists public.archive_run_log_batch(interval, integer, bigint);
drop function if exists public.start_run_log_archival(text, interval, integer);
drop function if exists sync_private.check_archival_arguments(interval, integer);

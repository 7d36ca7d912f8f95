-- The procedure public.archive_run_log_in_batches goes: the daily job runs the `do` block of
-- sync_private.archive_run_log_job_command instead (20261201000310), which commits after every batch just as the
-- procedure did. The procedure was the one routine in the project without a fixed search_path (a procedure with a
-- SET clause cannot COMMIT), and Supabase's Security Advisor flagged it (function_search_path_mutable). Operators
-- who called it by hand run the block instead (docs/archival.md).
drop procedure if exists public.archive_run_log_in_batches(interval, integer, text, bigint);

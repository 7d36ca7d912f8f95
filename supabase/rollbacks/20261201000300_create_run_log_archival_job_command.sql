-- Undoes 20261201000300: the function that writes the archival job's command is dropped (the job keeps its command).
drop function if exists sync_private.archive_run_log_job_command(interval, integer, text);

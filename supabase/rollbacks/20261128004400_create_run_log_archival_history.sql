drop table if exists sync_private.run_log_archival;

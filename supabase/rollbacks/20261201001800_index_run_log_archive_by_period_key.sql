-- Undoes 20261201001800.
drop index if exists public.sync_run_log_archive_idempotency_key_idx;

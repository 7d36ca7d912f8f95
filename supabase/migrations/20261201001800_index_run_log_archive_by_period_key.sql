-- The period ledger (get_period_outcomes, 20261201001900) finds the run of a schedule period by its key,
-- `<integration>:<period, ISO 8601 UTC>`, one index probe per period: on the hot table through
-- sync_run_log_idempotency_key_idx, and in the archive, for periods older than the retention, through this index
-- (the archive had none on the key). Built inside the migration's transaction (it blocks the archival while it
-- builds); on a large archive, build it first with `create index concurrently` under the same name.
create index if not exists sync_run_log_archive_idempotency_key_idx
  on public.sync_run_log_archive (org_id, idempotency_key) where idempotency_key is not null;

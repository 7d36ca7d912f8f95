-- The archival looks for the oldest runs across all orgs: without this index every batch would scan the table.
-- Built inside the migration's transaction (it blocks writes to sync_run_log while it builds); on a large
-- existing table, build it first with `create index concurrently` under the same name, and this is a no-op.
create index if not exists sync_run_log_started_at_idx
  on public.sync_run_log (started_at);

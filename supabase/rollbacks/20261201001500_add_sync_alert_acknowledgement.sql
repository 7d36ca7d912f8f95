-- Undoes 20261201001500: the previous index back, the new ones and the acknowledgement columns (and their column
-- grant) gone.
create index if not exists sync_alerts_org_created_idx on public.sync_alerts (org_id, created_at desc);
drop index if exists public.sync_alerts_org_created_id_idx;
drop index if exists public.sync_alerts_open_idx;
alter table public.sync_alerts drop constraint if exists sync_alerts_acknowledged_by_needs_at;
alter table public.sync_alerts drop column if exists acknowledged_by;
alter table public.sync_alerts drop column if exists acknowledged_at;

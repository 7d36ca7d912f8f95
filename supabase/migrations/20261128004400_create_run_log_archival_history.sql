-- run_log_archival: one row per archival pass (pg_cron job, local ticker or by hand): when it ran, with which
-- retention and batch size, how many batches and rows it moved, and when it finished. The operator's record,
-- and how the local ticker knows when the last pass was. Not exposed by the API (schema sync_private).
create table if not exists sync_private.run_log_archival (
  id bigint generated always as identity primary key,
  source text not null
    constraint run_log_archival_source_allowed check (source in ('pg_cron', 'ticker', 'manual')),
  retention interval not null,
  batch_size integer not null,
  started_at timestamptz not null default now(),
  last_batch_at timestamptz,
  finished_at timestamptz,
  batches integer not null default 0,
  rows_moved bigint not null default 0
);

comment on table sync_private.run_log_archival is
  'One row per archival pass of the run log: source, retention, batches and rows moved, start and finish.';

create index if not exists run_log_archival_started_idx on sync_private.run_log_archival (started_at desc);

revoke all on table sync_private.run_log_archival from public, anon, authenticated, service_role;
grant select, insert, update on table sync_private.run_log_archival to service_role;

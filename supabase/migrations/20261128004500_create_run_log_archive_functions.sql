-- Archival of the run log: runs that started more than a retention period ago (default 90 days) and are final
-- (completed, failed, cancelled) move from public.sync_run_log to public.sync_run_log_archive, in batches. The
-- newest run of every (org, integration) stays in the hot table whatever its age: "last run" lookups never go
-- blank. Each batch is one statement (copy and delete together), takes row locks only on the rows it moves and
-- skips rows another archiver holds (for update skip locked), so it is safe beside live inserts and a second
-- archiver; running it again moves nothing new (idempotent). Service role only.
--
-- Three ways to run it, all recording the pass in sync_private.run_log_archival:
--   call public.archive_run_log_in_batches()    procedure, commits after every batch (what pg_cron runs daily)
--   select public.archive_run_log()             function, every batch in the caller's transaction
--   start_run_log_archival + archive_run_log_batch, called in a loop (the TypeScript archiveOldRuns: one
--                                               transaction per batch through the rpc port)
-- SR005 on invalid arguments (retention under 1 day, batch size outside 1..50000, unknown source).

-- check_archival_arguments: the one place the archival's arguments are validated.
create or replace function sync_private.check_archival_arguments(p_retention interval, p_batch_size integer)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_retention is null or p_retention < interval '1 day' then
    raise exception 'retention must be at least 1 day, got %', coalesce(p_retention::text, 'null')
      using errcode = 'SR005';
  end if;
  if p_batch_size is null or p_batch_size < 1 or p_batch_size > 50000 then
    raise exception 'batch size must be between 1 and 50000, got %', coalesce(p_batch_size::text, 'null')
      using errcode = 'SR005';
  end if;
end
$$;

comment on function sync_private.check_archival_arguments(interval, integer) is
  'Validates the archival''s retention (at least 1 day) and batch size (1..50000); SR005 otherwise.';
revoke all on function sync_private.check_archival_arguments(interval, integer) from public;
grant execute on function sync_private.check_archival_arguments(interval, integer) to service_role;

-- start_run_log_archival: records the start of a pass and returns its id, for archive_run_log_batch to add to.
create or replace function public.start_run_log_archival(p_source text, p_retention interval, p_batch_size integer)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_id bigint;
begin
  perform sync_private.check_archival_arguments(p_retention, p_batch_size);
  if p_source is null or p_source not in ('pg_cron', 'ticker', 'manual') then
    raise exception 'source must be pg_cron, ticker or manual' using errcode = 'SR005';
  end if;
  insert into sync_private.run_log_archival (source, retention, batch_size)
  values (p_source, p_retention, p_batch_size)
  returning id into v_id;
  return v_id;
end
$$;

comment on function public.start_run_log_archival(text, interval, integer) is
  'Records the start of an archival pass (sync_private.run_log_archival) and returns its id. SR005 on invalid arguments.';
revoke all on function public.start_run_log_archival(text, interval, integer) from public, anon, authenticated;
grant execute on function public.start_run_log_archival(text, interval, integer) to service_role;

-- archive_run_log_batch: moves at most p_batch_size runs, oldest first, in ONE statement; returns how many.
-- With p_archival_id, adds the batch to that pass's record; a batch smaller than p_batch_size ends the pass.
create or replace function public.archive_run_log_batch(
  p_retention interval default interval '90 days',
  p_batch_size integer default 1000,
  p_archival_id bigint default null
)
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_cutoff timestamptz;
  v_moved integer;
begin
  perform sync_private.check_archival_arguments(p_retention, p_batch_size);
  v_cutoff := now() - p_retention;

  -- The candidates are locked and then deleted by their tuple id (ctid): a locked row cannot change under us
  -- (final runs never change at all), and a TID scan is several times cheaper than a primary-key probe per row.
  with candidates as (
    select r.ctid as tid
    from public.sync_run_log r
    where r.started_at < v_cutoff
      and r.status in ('completed', 'failed', 'cancelled')
      and exists (
        select 1
        from public.sync_run_log n
        where n.org_id = r.org_id
          and n.integration_type = r.integration_type
          and (n.started_at > r.started_at or (n.started_at = r.started_at and n.id > r.id))
      )
    order by r.started_at
    limit p_batch_size
    for update of r skip locked
  ),
  moved as (
    delete from public.sync_run_log r
    where r.ctid = any (array(select c.tid from candidates c))
    returning r.*
  )
  insert into public.sync_run_log_archive (
    id, org_id, integration_type, started_at, ended_at, status, records_processed, records_failed,
    error_message, triggered_by, scheduled_for, idempotency_key, heartbeat_at, duration_seconds
  )
  select
    m.id, m.org_id, m.integration_type, m.started_at, m.ended_at, m.status, m.records_processed, m.records_failed,
    m.error_message, m.triggered_by, m.scheduled_for, m.idempotency_key, m.heartbeat_at, m.duration_seconds
  from moved m;

  get diagnostics v_moved = row_count;

  if p_archival_id is not null then
    update sync_private.run_log_archival a
    set batches = a.batches + 1,
        rows_moved = a.rows_moved + v_moved,
        last_batch_at = clock_timestamp(),
        finished_at = case when v_moved < p_batch_size then clock_timestamp() end
    where a.id = p_archival_id;
    if not found then
      raise exception 'archival pass % not found', p_archival_id using errcode = 'SR005';
    end if;
  end if;

  return v_moved;
end
$$;

comment on function public.archive_run_log_batch(interval, integer, bigint) is
  'Moves up to p_batch_size final runs older than p_retention (never the newest per org and integration) to '
  'sync_run_log_archive in one statement, skipping rows locked by another archiver. Returns the number moved.';
revoke all on function public.archive_run_log_batch(interval, integer, bigint) from public, anon, authenticated;
grant execute on function public.archive_run_log_batch(interval, integer, bigint) to service_role;

-- archive_run_log: the function form, for callers that want one call. Every batch runs in the caller's
-- transaction (row locks are held until it commits; inserts are never blocked): for large backlogs prefer
-- the procedure or a loop of archive_run_log_batch calls. Returns the number of rows moved.
create or replace function public.archive_run_log(
  p_retention interval default interval '90 days',
  p_batch_size integer default 1000,
  p_source text default 'manual'
)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_id bigint;
  v_moved integer;
  v_total bigint := 0;
begin
  v_id := public.start_run_log_archival(p_source, p_retention, p_batch_size);
  loop
    v_moved := public.archive_run_log_batch(p_retention, p_batch_size, v_id);
    v_total := v_total + v_moved;
    exit when v_moved < p_batch_size;
  end loop;
  return v_total;
end
$$;

comment on function public.archive_run_log(interval, integer, text) is
  'Archives every final run older than p_retention (never the newest per org and integration), batch by batch, in the '
  'caller''s transaction. Returns the number of rows moved.';
revoke all on function public.archive_run_log(interval, integer, text) from public, anon, authenticated;
grant execute on function public.archive_run_log(interval, integer, text) to service_role;

-- archive_run_log_in_batches: the procedure form, committing after every batch, so no lock or snapshot lives
-- longer than one batch. What the daily pg_cron job calls; `call` returns the rows moved (p_rows_moved). It has
-- no `set search_path` clause because a procedure with one cannot commit; every name in it is schema-qualified.
create or replace procedure public.archive_run_log_in_batches(
  p_retention interval default interval '90 days',
  p_batch_size integer default 1000,
  p_source text default 'pg_cron',
  inout p_rows_moved bigint default null
)
language plpgsql
security invoker
as $$
declare
  v_id bigint;
  v_moved integer;
begin
  p_rows_moved := 0;
  v_id := public.start_run_log_archival(p_source, p_retention, p_batch_size);
  commit;
  loop
    v_moved := public.archive_run_log_batch(p_retention, p_batch_size, v_id);
    commit;
    p_rows_moved := p_rows_moved + v_moved;
    exit when v_moved < p_batch_size;
  end loop;
  raise log 'archive_run_log_in_batches: pass % moved % runs older than %', v_id, p_rows_moved, p_retention;
end
$$;

comment on procedure public.archive_run_log_in_batches(interval, integer, text, bigint) is
  'Archives every final run older than p_retention, committing after each batch (call it outside a transaction). '
  'Returns the rows moved; the pass is also recorded in sync_private.run_log_archival.';
revoke all on procedure public.archive_run_log_in_batches(interval, integer, text, bigint) from public, anon, authenticated;
grant execute on procedure public.archive_run_log_in_batches(interval, integer, text, bigint) to service_role;

-- get_run_log_archival_status: whether pg_cron runs the daily archival here, and the last pass. The local
-- ticker reads it to decide whether to archive itself. security definer: it reads cron.job, which the service
-- role may not see.
create or replace function public.get_run_log_archival_status()
returns table (
  pg_cron_scheduled boolean,
  last_id bigint,
  last_source text,
  last_started_at timestamptz,
  last_finished_at timestamptz,
  last_rows_moved bigint
)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_scheduled boolean := false;
begin
  if exists (select 1 from pg_catalog.pg_extension e where e.extname = 'pg_cron') then
    execute 'select exists (select 1 from cron.job j where j.jobname = $1 and j.active)'
      into v_scheduled
      using 'archive-sync-run-log';
  end if;
  return query
    select v_scheduled, a.id, a.source, a.started_at, a.finished_at, a.rows_moved
    from (select 1) one
    left join lateral (
      select * from sync_private.run_log_archival x order by x.started_at desc, x.id desc limit 1
    ) a on true;
end
$$;

comment on function public.get_run_log_archival_status() is
  'Whether the daily pg_cron archival job is scheduled in this database, and the last archival pass (nulls when none).';
revoke all on function public.get_run_log_archival_status() from public, anon, authenticated;
grant execute on function public.get_run_log_archival_status() to service_role;

-- The command of the daily archival job, written by a function so that the migration, the tests and an operator
-- changing the retention all use the same text. The command is one `do` block that starts a pass, then moves one
-- batch after another with a COMMIT after each, exactly as the procedure public.archive_run_log_in_batches did:
-- no lock or snapshot outlives one batch, and the pass is recorded in sync_private.run_log_archival.
-- A `do` block is no function: nothing is left in pg_proc without a fixed search_path (Supabase's Security Advisor,
-- lint 0011, flagged the procedure, which could not have one: PostgreSQL refuses COMMIT in a procedure with a SET
-- clause). Every name in the block is schema-qualified. COMMIT inside it works when the block is the only statement
-- of its message and outside a transaction block: pg_cron sends a job's command that way (over libpq, and as a
-- background worker with cron.use_background_workers = on); so does psql for `psql -c` or a line on its own.

-- archive_run_log_job_command: the `do` block for given arguments; SR005 on invalid ones.
create or replace function sync_private.archive_run_log_job_command(
  p_retention interval default interval '90 days',
  p_batch_size integer default 1000,
  p_source text default 'pg_cron'
)
returns text
language plpgsql
stable
set search_path = ''
as $function$
begin
  perform sync_private.check_archival_arguments(p_retention, p_batch_size);
  if p_source is null or p_source not in ('pg_cron', 'ticker', 'manual') then
    raise exception 'source must be pg_cron, ticker or manual' using errcode = 'SR005';
  end if;
  return format(
    $command$do $archival$
-- Run log archival (sync_private.archive_run_log_job_command): one pass, a COMMIT after every batch.
declare
  v_retention constant interval := %L;
  v_batch_size constant integer := %s;
  v_source constant text := %L;
  v_id bigint;
  v_moved integer;
  v_total bigint := 0;
begin
  v_id := public.start_run_log_archival(v_source, v_retention, v_batch_size);
  commit;
  loop
    v_moved := public.archive_run_log_batch(v_retention, v_batch_size, v_id);
    commit;
    v_total := v_total + v_moved;
    exit when v_moved < v_batch_size;
  end loop;
  raise log 'run log archival: pass %% moved %% runs older than %%', v_id, v_total, v_retention;
end
$archival$$command$,
    p_retention::text,
    p_batch_size,
    p_source
  );
end
$function$;

comment on function sync_private.archive_run_log_job_command(interval, integer, text) is
  'The daily archival job''s command: a do block that archives final runs older than p_retention, committing after '
  'every batch of p_batch_size, recorded with p_source. Run it as a statement of its own, outside a transaction.';
revoke all on function sync_private.archive_run_log_job_command(interval, integer, text) from public;

-- Undoes 20261201000320: the procedure as migration 20261128004500 made it (body, comment and grants).
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

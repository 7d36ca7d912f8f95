-- The daily archival job, where pg_cron exists (Supabase with pg_cron enabled; a local PostgreSQL with
-- postgresql-15-cron). Elsewhere this is a no-op and the local ticker archives instead (docs/archival.md).
-- Every day at 03:30 (pg_cron's time zone: GMT unless cron.timezone says otherwise). cron.schedule with a job
-- name updates the job of that name, so applying this twice leaves one job.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule(
      'archive-sync-run-log',
      '30 3 * * *',
      'call public.archive_run_log_in_batches(interval ''90 days'', 1000, ''pg_cron'')'
    );
  end if;
end
$$;

-- pg_cron records every run of every job in cron.job_run_details and Supabase never empties it: the tick alone adds
-- 1,440 rows a day. This daily job deletes the rows of runs that ended more than 7 days ago (of every job in the
-- database, as Supabase's troubleshooting guide advises), every day at 04:00 (pg_cron's time zone: GMT unless
-- cron.timezone says otherwise), half an hour after the run log archival. A run that has not ended keeps its row.
-- Registered where pg_cron exists (Supabase with pg_cron enabled; a local PostgreSQL with postgresql-15-cron);
-- elsewhere a no-op. cron.schedule with a job name updates the job of that name, so applying this twice leaves one job.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule(
      'clean-cron-job-run-details',
      '0 4 * * *',
      $job$delete from cron.job_run_details where end_time < now() - interval '7 days'$job$
    );
  end if;
end
$$;

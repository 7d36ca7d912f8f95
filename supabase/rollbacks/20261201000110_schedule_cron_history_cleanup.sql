-- Undoes 20261201000110: the daily cleanup of cron.job_run_details is unscheduled (the rows it deleted stay deleted).
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.unschedule(j.jobid) from cron.job j where j.jobname = 'clean-cron-job-run-details';
  end if;
end
$$;

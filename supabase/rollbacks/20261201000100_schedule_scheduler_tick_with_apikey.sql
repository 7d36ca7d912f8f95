-- Undoes 20261201000100: the tick job as 20261128002940 left it. Where pg_net is installed, that migration had
-- registered the job with the service role key as bearer token and a 55 s timeout: the same command again, byte for
-- byte (cron.schedule with the job's name updates it in place, keeping its id). Where only a stand-in net.http_post
-- (a test database) made 20261201000100 register it, 20261128002940 had registered nothing: the job goes.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net') then
      perform cron.schedule(
        'sync-scheduler-tick',
        '* * * * *',
        $job$
        select net.http_post(
          url := (select decrypted_secret from vault.decrypted_secrets where name = 'sync_scheduler_tick_url'),
          headers := jsonb_build_object(
            'Content-Type', 'application/json',
            'Authorization', 'Bearer ' || (
              select decrypted_secret from vault.decrypted_secrets where name = 'sync_scheduler_service_role_key'
            )
          ),
          body := '{}'::jsonb,
          timeout_milliseconds := 55000
        )
      $job$
      );
    else
      perform cron.unschedule(j.jobid) from cron.job j where j.jobname = 'sync-scheduler-tick';
    end if;
  end if;
end
$$;

-- A project whose migrations ran before pg_cron and pg_net were enabled has none of the four jobs: each job migration
-- registers its job only where the extensions exist. docs/deploy.md used to send such a project back to the job
-- migrations' files, and running an old file again also ran its `create or replace function`s, putting back a body
-- that a later migration had replaced (20261201008000's watch_scheduler_pulse over 20261202006000's). This function
-- is that step instead: it registers each job that is missing, with the command the migrations give it today, and
-- changes nothing else. A job that exists keeps its schedule and command, so an operator's retention or schedule
-- survives; it returns the names it registered.
--   sync-scheduler-tick         * * * * *    20261201000100 (needs pg_net, or a function of net.http_post's signature)
--   archive-sync-run-log        30 3 * * *   sync_private.archive_run_log_job_command() (20261201000300)
--   clean-cron-job-run-details  0 4 * * *    20261201000110
--   watch-sync-scheduler        */5 * * * *  20261201008000
-- cron.schedule is called through EXECUTE: a static call would not pass plpgsql_check (`supabase db lint`) on a
-- database without pg_cron, where the function returns nothing.
create or replace function sync_private.schedule_missing_jobs()
returns setof text
language plpgsql
volatile
security invoker
set search_path = ''
as $function$
declare
  v_has_net constant boolean :=
    exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net')
    or pg_catalog.to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is not null;
  v_job record;
  v_exists boolean;
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    raise notice 'no job registered: pg_cron is not enabled (docs/deploy.md, step 1)';
    return;
  end if;
  if not v_has_net then
    raise notice 'sync-scheduler-tick not registered: pg_net is not enabled (docs/deploy.md, step 1)';
  end if;
  for v_job in
    select j.name, j.schedule, j.command
    from (values
      ('sync-scheduler-tick', '* * * * *', $job$
        select net.http_post(
          url := (select decrypted_secret from vault.decrypted_secrets where name = 'sync_scheduler_tick_url'),
          headers := (
            select jsonb_strip_nulls(jsonb_build_object(
              'Content-Type', 'application/json',
              'apikey', k.service_key,
              'Authorization', case when k.service_key ~ '^[\w-]+\.[\w-]+\.[\w-]+$' then 'Bearer ' || k.service_key end
            ))
            from (
              select coalesce(
                (select nullif(btrim(decrypted_secret, E' \t\r\n'), '') from vault.decrypted_secrets
                  where name = 'sync_scheduler_secret_key'),
                (select nullif(btrim(decrypted_secret, E' \t\r\n'), '') from vault.decrypted_secrets
                  where name = 'sync_scheduler_service_role_key')
              ) as service_key
            ) as k
          ),
          body := '{}'::jsonb,
          timeout_milliseconds := 5000
        )
      $job$),
      ('archive-sync-run-log', '30 3 * * *', sync_private.archive_run_log_job_command()),
      ('clean-cron-job-run-details', '0 4 * * *',
        $job$delete from cron.job_run_details where end_time < now() - interval '7 days'$job$),
      ('watch-sync-scheduler', '*/5 * * * *', $job$select public.watch_scheduler_pulse()$job$)
    ) as j(name, schedule, command)
  loop
    continue when v_job.name = 'sync-scheduler-tick' and not v_has_net;
    execute 'select exists (select 1 from cron.job where jobname = $1 and username = current_user)'
      into v_exists using v_job.name;
    continue when v_exists;
    execute 'select cron.schedule($1, $2, $3)' using v_job.name, v_job.schedule, v_job.command;
    return next v_job.name;
  end loop;
end
$function$;

comment on function sync_private.schedule_missing_jobs() is
  'Registers each of the four pg_cron jobs (tick, archival, cron history cleanup, watchdog) that is missing, with '
  'its command of today; an existing job is left as it is. For a project migrated before pg_cron and pg_net were '
  'enabled (docs/deploy.md). Returns the names registered.';
revoke all on function sync_private.schedule_missing_jobs() from public, anon, authenticated, service_role;

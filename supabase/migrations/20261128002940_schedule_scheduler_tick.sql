-- The every-minute tick on Supabase: pg_cron calls the sync-scheduler Edge Function (POST .../sync-scheduler/tick)
-- through pg_net, with the service role key as bearer token. Registered only where both extensions are installed
-- (Supabase with pg_cron and pg_net enabled); elsewhere a no-op, and `npm start`'s local ticker ticks instead.
-- The URL and the key are read from Supabase Vault at every call (secrets sync_scheduler_tick_url and
-- sync_scheduler_service_role_key, docs/scheduler.md), so neither is stored in the job or in this file.
-- cron.schedule with a job name updates the job of that name, so applying this twice leaves one job.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
    and exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net')
  then
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
  elsif exists (select 1 from pg_catalog.pg_available_extensions where name in ('pg_cron', 'pg_net')) then
    raise notice 'sync-scheduler-tick not registered: enable pg_cron and pg_net, then re-apply this migration '
      '(docs/scheduler.md)';
  end if;
end
$$;

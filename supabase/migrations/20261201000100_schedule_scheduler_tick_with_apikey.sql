-- The every-minute tick job again (first registered by 20261128002940), for Supabase's new API keys: a secret key
-- (`sb_secret_...`) is no JWT, so the job sends its key in the `apikey` header, where the platform and the function
-- look for API keys. The URL and the key are read from Supabase Vault at every call, so neither is stored in the job
-- or in this file (docs/scheduler.md):
--   sync_scheduler_tick_url          https://<project-ref>.supabase.co/functions/v1/sync-scheduler/tick
--   sync_scheduler_secret_key        a secret key, or the legacy service_role key
--   sync_scheduler_service_role_key  the name 20261128002940 read: used when sync_scheduler_secret_key is absent
-- A key that is a JWT (the legacy service_role key) also goes out as `Authorization: Bearer`, as before, so a
-- function or gateway that checks only JWTs still accepts the tick; a secret key never does: where the platform
-- checks JWTs (verify_jwt) it refuses a bearer that is no JWT before the function runs. With no key in Vault the
-- request carries none and the function answers 401 (net._http_response shows it; the job itself succeeds).
-- Timeout 5 s, pg_net's default, written out so that no pg_net version changes it (it has been 1 s and 2 s): the
-- tick answers once the due runs are started, the syncs going on after the response (EdgeRuntime.waitUntil); with 50
-- due schedules it answers in about 0.5 s (bench/scheduler.bench.ts). The timeout bounds only pg_net's wait: an Edge
-- Function keeps running when its caller stops waiting, so a slower tick still does all its work and pg_net merely
-- records a timeout in net._http_response. The 55 s of 20261128002940 kept a hung request open most of the minute.
-- Registered where pg_cron is installed and net.http_post exists: the pg_net extension (Supabase), or a function of
-- pg_net's signature that a test database creates in its place (no files installed into the server). That is safe:
-- pg_cron must still be the real extension, only a role that may create schemas (and so read Vault anyway) can put
-- a function there, and the job calls nothing else. Elsewhere a no-op, and `npm start`'s local ticker ticks instead.
-- cron.schedule with a job name updates the job of that name, so applying this twice (or over 20261128002940's job)
-- leaves one job, with its id.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron')
    and (
      exists (select 1 from pg_catalog.pg_extension where extname = 'pg_net')
      or pg_catalog.to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)') is not null
    )
  then
    perform cron.schedule(
      'sync-scheduler-tick',
      '* * * * *',
      $job$
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
      $job$
    );
  elsif exists (select 1 from pg_catalog.pg_available_extensions where name in ('pg_cron', 'pg_net')) then
    raise notice 'sync-scheduler-tick not registered: enable pg_cron and pg_net, then re-apply this migration '
      '(docs/scheduler.md)';
  end if;
end
$$;

-- The watchdog tells someone. Its scheduler_stalled alerts were rows only: the scheduler, which logs and POSTs every
-- other alert, is what has stopped, so an outage was seen when somebody opened the dashboard, hours of periods later.
-- The database is what still works then, and pg_net can POST from it. The watchdog job now runs
-- watch_scheduler_pulse(): check_scheduler_pulse() as before and, where pg_net's net.http_post exists and Vault holds
-- `sync_alert_webhook_url` (the address of the functions' ALERT_WEBHOOK_URL), one POST per alert it recorded, with
-- the body the scheduler's own alert POSTs have: {type: 'sync_alert', kind, orgId, integrationType, runId, alertId,
-- details}. pg_net sends once the job's transaction has committed: an alert that was not recorded is never posted,
-- and one recorded is posted once (the watchdog records it once per schedule and outage). No URL in Vault, or no
-- pg_net: the alerts are rows, as before. pg_net keeps each answer in net._http_response for a while (6 hours).
-- net.http_post and Vault are reached by EXECUTE: neither need exist where the function is created (a plain
-- PostgreSQL, a project that has not enabled pg_net yet), and the call names the net.http_post found at run time, so
-- `supabase db lint` does not report a schema that only the deployment's extensions bring.

-- watch_scheduler_pulse: the watchdog job's one call. Returns how many alerts it recorded.
create or replace function public.watch_scheduler_pulse()
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_alert public.sync_alerts;
  v_url text;
  v_http_post constant regproc :=
    pg_catalog.to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)')::oid::regproc;
  v_can_post constant boolean :=
    v_http_post is not null and pg_catalog.to_regclass('vault.decrypted_secrets') is not null;
  v_recorded integer := 0;
begin
  for v_alert in select * from public.check_scheduler_pulse() loop
    v_recorded := v_recorded + 1;
    if v_recorded = 1 and v_can_post then
      execute $sql$
        select nullif(pg_catalog.btrim(s.decrypted_secret, E' \t\r\n'), '')
        from vault.decrypted_secrets s where s.name = 'sync_alert_webhook_url'
      $sql$ into v_url;
    end if;
    if v_url is not null then
      execute pg_catalog.format(
        'select %s(url := $1, body := $2, headers := $3, timeout_milliseconds := 10000)', v_http_post
      )
        using
          v_url,
          pg_catalog.jsonb_build_object(
            'type', 'sync_alert',
            'kind', v_alert.kind,
            'orgId', v_alert.org_id,
            'integrationType', v_alert.integration_type,
            'runId', v_alert.run_id,
            'alertId', v_alert.id,
            'details', v_alert.details
          ),
          '{"Content-Type": "application/json"}'::jsonb;
    end if;
  end loop;
  return v_recorded;
end
$$;

comment on function public.watch_scheduler_pulse() is
  'The scheduler watchdog (pg_cron, every 5 minutes): check_scheduler_pulse(), and each alert it recorded POSTed '
  'through pg_net to Vault''s sync_alert_webhook_url when both exist. Returns the number recorded.';
revoke all on function public.watch_scheduler_pulse() from public, anon, authenticated;
grant execute on function public.watch_scheduler_pulse() to service_role;

-- The job of 20261201007000, calling it. cron.schedule with a job name updates that job (its id stays).
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('watch-sync-scheduler', '*/5 * * * *', $job$select public.watch_scheduler_pulse()$job$);
  end if;
end
$$;

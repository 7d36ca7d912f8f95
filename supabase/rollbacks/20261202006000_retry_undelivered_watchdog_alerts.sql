-- Undoes 20261202006000: watch_scheduler_pulse as 20261201008000 wrote it (each alert posted once, its answer never
-- read), and the table of posts and its helper gone.
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

drop function if exists sync_private.post_watchdog_alert(regproc, text, public.sync_alerts);
drop table if exists sync_private.watchdog_posts;

-- The watchdog finds out whether its alert POSTs got through, and posts a failed one again. pg_net sends after the
-- job's transaction commits and keeps each answer in net._http_response (6 hours); nobody read it, so a webhook that
-- was down or slow when the scheduler stalled lost the one alert that says the scheduler has stopped.
-- sync_private.watchdog_posts keeps the request of each alert the watchdog posted. Each run of the watchdog first
-- reads the answers that came since its last run: a 2xx is `delivered`; a failure (an HTTP status outside 2xx, a
-- timeout, no answer) is posted again, at most 3 attempts in all, to the address Vault holds now, and after the third
-- it is `gave_up`, with a WARNING in the database log. A request pg_net has not answered yet waits for the next run.
-- What failed is kept as a word (`HTTP 503`, `timed out`, `no answer`): pg_net's error text may name the host.
-- Where pg_net or net._http_response is missing, nothing is read or posted: the alerts are rows, as before.

create table if not exists sync_private.watchdog_posts (
  alert_id uuid primary key references public.sync_alerts (id) on delete cascade,
  request_id bigint not null,
  attempts integer not null default 1 constraint watchdog_posts_attempts check (attempts between 1 and 3),
  posted_at timestamptz not null default now(),
  outcome text constraint watchdog_posts_outcome check (outcome in ('delivered', 'gave_up')),
  last_failure text,
  ended_at timestamptz
);

comment on table sync_private.watchdog_posts is
  'The watchdog''s POST of each scheduler_stalled alert: its pg_net request, attempts (at most 3) and outcome '
  '(null: waiting for its answer; delivered; gave_up), written by watch_scheduler_pulse.';
revoke all on table sync_private.watchdog_posts from public, anon, authenticated, service_role;
grant select, insert, update on table sync_private.watchdog_posts to service_role;

-- post_watchdog_alert: one POST of an alert through pg_net's net.http_post (found at run time); its request id.
create or replace function sync_private.post_watchdog_alert(p_http_post regproc, p_url text, p_alert public.sync_alerts)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_request bigint;
begin
  execute pg_catalog.format(
    'select %s(url := $1, body := $2, headers := $3, timeout_milliseconds := 10000)', p_http_post
  )
    into v_request
    using
      p_url,
      pg_catalog.jsonb_build_object(
        'type', 'sync_alert',
        'kind', p_alert.kind,
        'orgId', p_alert.org_id,
        'integrationType', p_alert.integration_type,
        'runId', p_alert.run_id,
        'alertId', p_alert.id,
        'details', p_alert.details
      ),
      '{"Content-Type": "application/json"}'::jsonb;
  return v_request;
end
$$;

comment on function sync_private.post_watchdog_alert(regproc, text, public.sync_alerts) is
  'POSTs an alert as the scheduler posts alerts ({type: sync_alert, kind, orgId, integrationType, runId, alertId, '
  'details}) through the given net.http_post; returns its request id.';
revoke all on function sync_private.post_watchdog_alert(regproc, text, public.sync_alerts)
  from public, anon, authenticated;
grant execute on function sync_private.post_watchdog_alert(regproc, text, public.sync_alerts) to service_role;

create or replace function public.watch_scheduler_pulse()
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_alert public.sync_alerts;
  v_post sync_private.watchdog_posts;
  v_url text;
  v_http_post constant regproc :=
    pg_catalog.to_regprocedure('net.http_post(text, jsonb, jsonb, jsonb, integer)')::oid::regproc;
  v_answers constant regclass := pg_catalog.to_regclass('net._http_response');
  v_recorded integer := 0;
  v_status integer;
  v_timed_out boolean;
  v_rows integer;
  v_failure text;
begin
  if v_http_post is not null and pg_catalog.to_regclass('vault.decrypted_secrets') is not null then
    execute $sql$
      select nullif(pg_catalog.btrim(s.decrypted_secret, E' \t\r\n'), '')
      from vault.decrypted_secrets s where s.name = 'sync_alert_webhook_url'
    $sql$ into v_url;
  end if;

  -- The answers to earlier POSTs: delivered, posted again, or given up on.
  if v_http_post is not null and v_answers is not null then
    for v_post in
      select * from sync_private.watchdog_posts p
      where p.outcome is null and p.posted_at > now() - interval '6 hours'
      order by p.posted_at
      for update skip locked
    loop
      execute pg_catalog.format('select r.status_code, r.timed_out from %s r where r.id = $1', v_answers)
        into v_status, v_timed_out
        using v_post.request_id;
      get diagnostics v_rows = row_count;
      continue when v_rows = 0; -- not answered yet
      if v_status between 200 and 299 then
        update sync_private.watchdog_posts
        set outcome = 'delivered', ended_at = now()
        where alert_id = v_post.alert_id;
        continue;
      end if;
      v_failure := case
        when v_timed_out then 'timed out'
        when v_status is not null then 'HTTP ' || v_status
        else 'no answer'
      end;
      select * into v_alert from public.sync_alerts a where a.id = v_post.alert_id;
      if v_post.attempts < 3 and v_url is not null then
        update sync_private.watchdog_posts
        set request_id = sync_private.post_watchdog_alert(v_http_post, v_url, v_alert),
            attempts = v_post.attempts + 1,
            posted_at = now(),
            last_failure = v_failure
        where alert_id = v_post.alert_id;
      else
        update sync_private.watchdog_posts
        set outcome = 'gave_up', ended_at = now(), last_failure = v_failure
        where alert_id = v_post.alert_id;
        raise warning 'the scheduler_stalled alert % (org %, %) was not delivered to sync_alert_webhook_url '
          'after % attempts: %', v_alert.id, v_alert.org_id, v_alert.integration_type, v_post.attempts, v_failure;
      end if;
    end loop;
  end if;

  for v_alert in select * from public.check_scheduler_pulse() loop
    v_recorded := v_recorded + 1;
    if v_url is not null then
      insert into sync_private.watchdog_posts (alert_id, request_id)
      values (v_alert.id, sync_private.post_watchdog_alert(v_http_post, v_url, v_alert));
    end if;
  end loop;
  return v_recorded;
end
$$;

comment on function public.watch_scheduler_pulse() is
  'The scheduler watchdog (pg_cron, every 5 minutes): the answers to its earlier POSTs read (a failure posted again, '
  'at most 3 attempts), then check_scheduler_pulse(), and each alert it recorded POSTed through pg_net to Vault''s '
  'sync_alert_webhook_url when both exist. Returns the number recorded.';

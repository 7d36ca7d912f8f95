-- "Sync now" as a queue in the database: a coordinator's click queues a manual run (status pending), and the
-- executor claims queued runs (pending -> running) and runs them as it runs scheduled periods. At most one
-- queued-or-running run per (org, integration) holds by the unique index sync_run_log_one_active_idx (20261201001300).
-- Service role only: the Edge Function queues with server credentials after checking the caller; the executor claims.
-- Error codes: SR001 already queued or running (DETAIL: that run's id), SR005 invalid argument, SR008 not configured.

-- The executor's claim reads the queue oldest first; the partial index holds only pending runs, so it stays tiny.
create index if not exists sync_run_log_pending_idx
  on public.sync_run_log (started_at, id) where status = 'pending';

-- queue_manual_run: queues a manual run of an org's integration (status pending, started_at = now()) and returns
-- it. SR008 when the org has no enabled connection with credentials for it; SR001, with the id of the queued or
-- running run in the way, when there is one: of 20 concurrent calls exactly one queues, nineteen get SR001 with
-- that run's id. The insert waits for a concurrent one of the same integration and then does nothing, so no call
-- fails on the index itself.
create or replace function public.queue_manual_run(p_org_id uuid, p_integration_type text)
returns public.sync_run_log
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row public.sync_run_log;
  v_existing uuid;
begin
  if p_org_id is null then
    raise exception 'org_id is required' using errcode = 'SR005';
  end if;
  if p_integration_type is null or p_integration_type !~ '^[a-z][a-z0-9_]{1,62}$' then
    raise exception 'integration_type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)' using errcode = 'SR005';
  end if;
  if not exists (
    select 1 from public.sync_connections c
    where c.org_id = p_org_id
      and c.integration_type = p_integration_type
      and c.enabled
      and c.credentials_secret_id is not null
  ) then
    raise exception '% is not configured for this org: no enabled connection with credentials', p_integration_type
      using errcode = 'SR008';
  end if;

  -- A run in the way may end between the insert and the look-up: then try again (a few times at most).
  for v_attempt in 1..5 loop
    insert into public.sync_run_log (org_id, integration_type, status, started_at, triggered_by)
    values (p_org_id, p_integration_type, 'pending', now(), 'manual')
    on conflict (org_id, integration_type) where status in ('pending', 'running') do nothing
    returning * into v_row;
    if found then
      return v_row;
    end if;
    select r.id into v_existing
    from public.sync_run_log r
    where r.org_id = p_org_id and r.integration_type = p_integration_type and r.status in ('pending', 'running');
    if found then
      raise exception '% is already queued or running for this org', p_integration_type
        using errcode = 'SR001', detail = v_existing::text;
    end if;
  end loop;
  raise exception '% is already queued or running for this org', p_integration_type using errcode = 'SR001';
end
$$;

comment on function public.queue_manual_run(uuid, text) is
  'Queues a manual run (status pending) of an org''s integration and returns it. SR001 (detail: the queued or running '
  'run''s id), SR005 invalid input, SR008 no enabled connection with credentials. Service role only.';
revoke all on function public.queue_manual_run(uuid, text) from public, anon, authenticated;
grant execute on function public.queue_manual_run(uuid, text) to service_role;

-- claim_pending_runs: takes up to p_limit queued runs, oldest first, and moves them to running with a heartbeat, in
-- one statement. Rows another executor is claiming at the same moment are skipped (for update skip locked), so two
-- executors never claim the same run. Returns each claimed run with its schedule's run timeout (null without a
-- schedule: the executor's default applies).
create or replace function public.claim_pending_runs(p_limit integer default 10)
returns table (run public.sync_run_log, run_timeout_seconds integer)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'limit must be between 1 and 1000, got %', coalesce(p_limit::text, 'null') using errcode = 'SR005';
  end if;

  return query
    with queued as (
      select r.id
      from public.sync_run_log r
      where r.status = 'pending'
      order by r.started_at, r.id
      limit p_limit
      for update skip locked
    ),
    claimed as (
      update public.sync_run_log r
      set status = 'running',
          heartbeat_at = now()
      from queued q
      where r.id = q.id
      returning r
    )
    select c.r, s.run_timeout_seconds
    from claimed c
    left join public.sync_schedules s on s.org_id = (c.r).org_id and s.integration_type = (c.r).integration_type
    order by (c.r).started_at, (c.r).id;
end
$$;

comment on function public.claim_pending_runs(integer) is
  'Claims up to p_limit (1..1000) queued runs, oldest first: pending -> running with a heartbeat, skipping rows '
  'another executor holds. Returns each with its schedule''s run timeout. Service role only.';
revoke all on function public.claim_pending_runs(integer) from public, anon, authenticated;
grant execute on function public.claim_pending_runs(integer) to service_role;

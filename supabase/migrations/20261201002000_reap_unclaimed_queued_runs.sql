-- A queued run ("Sync now", status pending) that no executor claims must not block its integration forever: the
-- one-queued-or-running index would refuse every later Sync now and scheduled period. The reaper now fails a pending
-- run as it fails a silent running one: after the schedule's run timeout (default 30 min), with a stuck_run alert and
-- a message that says it was never started. The status machine gains pending -> failed for it.

create or replace function sync_private.enforce_run_status_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status in ('completed', 'failed', 'cancelled') then
    raise exception 'run % is % and can no longer change', old.id, old.status
      using errcode = 'SR006', hint = 'completed, failed and cancelled are final';
  end if;

  if not (
    (old.status = 'pending' and new.status in ('running', 'failed', 'cancelled'))
    or (old.status = 'running' and new.status in ('running', 'completed', 'failed', 'cancelled'))
  ) then
    raise exception 'run % cannot go from % to %', old.id, old.status, new.status
      using errcode = 'SR006';
  end if;

  if new.id is distinct from old.id
    or new.org_id is distinct from old.org_id
    or new.integration_type is distinct from old.integration_type
    or new.triggered_by is distinct from old.triggered_by
    or new.scheduled_for is distinct from old.scheduled_for
    or new.idempotency_key is distinct from old.idempotency_key
    or new.started_at is distinct from old.started_at
  then
    raise exception 'run %: id, org_id, integration_type, triggered_by, scheduled_for, idempotency_key and started_at never change', old.id
      using errcode = 'SR006';
  end if;

  return new;
end
$$;

comment on function sync_private.enforce_run_status_transition() is
  'Trigger: the run status machine (pending -> running | failed | cancelled; running -> running | completed | '
  'failed | cancelled; the rest final) and the immutable columns, enforced in the database for every role.';
revoke all on function sync_private.enforce_run_status_transition() from public;

create or replace function public.reap_stuck_runs(
  p_now timestamptz default now(),
  p_default_timeout_seconds integer default 1800
)
returns table (
  run_id uuid,
  org_id uuid,
  integration_type text,
  last_seen_at timestamptz,
  timeout_seconds integer,
  error_message text
)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_now is null then
    raise exception 'now is required' using errcode = 'SR005';
  end if;
  if p_default_timeout_seconds is null or p_default_timeout_seconds not between 60 and 86400 then
    raise exception 'default timeout must be between 60 and 86400 seconds' using errcode = 'SR005';
  end if;

  return query
    with stuck as (
      select
        r.id,
        coalesce(r.heartbeat_at, r.started_at) as last_seen_at,
        coalesce(s.run_timeout_seconds, p_default_timeout_seconds) as timeout_seconds
      from public.sync_run_log r
      left join public.sync_schedules s on s.org_id = r.org_id and s.integration_type = r.integration_type
      where r.status in ('pending', 'running')
        and coalesce(r.heartbeat_at, r.started_at)
          < p_now - make_interval(secs => coalesce(s.run_timeout_seconds, p_default_timeout_seconds))
      for update of r skip locked
    ),
    failed as (
      update public.sync_run_log r
      set status = 'failed',
          ended_at = greatest(now(), r.started_at),
          error_message = case r.status
            when 'pending' then format(
              'queued run failed by the scheduler: queued since %s and not started within the run timeout of %s '
              'minutes (no executor claimed it)',
              to_char(st.last_seen_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
              trim_scale(round(st.timeout_seconds / 60.0, 1))
            )
            else format(
              'stuck run failed by the scheduler: no heartbeat since %s, longer than the run timeout of %s minutes '
              '(the worker stopped without finishing)',
              to_char(st.last_seen_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
              trim_scale(round(st.timeout_seconds / 60.0, 1))
            )
          end
      from stuck st
      where r.id = st.id
        and r.status in ('pending', 'running')
        and coalesce(r.heartbeat_at, r.started_at) = st.last_seen_at
      returning r.id, r.org_id, r.integration_type, st.last_seen_at, st.timeout_seconds, r.error_message,
        r.records_processed, r.records_failed, r.scheduled_for
    ),
    alerted as (
      insert into public.sync_alerts (org_id, kind, integration_type, run_id, details, dedupe_key)
      select f.org_id, 'stuck_run', f.integration_type, f.id,
        jsonb_build_object(
          'last_seen_at', f.last_seen_at,
          'timeout_seconds', f.timeout_seconds,
          'records_processed', f.records_processed,
          'records_failed', f.records_failed,
          'scheduled_for', f.scheduled_for
        ),
        'stuck_run:' || f.id
      from failed f
      on conflict do nothing
    )
    select f.id, f.org_id, f.integration_type, f.last_seen_at, f.timeout_seconds, f.error_message
    from failed f;
end
$$;

comment on function public.reap_stuck_runs(timestamptz, integer) is
  'Fails running runs silent, and queued runs unclaimed, for longer than their schedule''s timeout (default 30 '
  'min) and records stuck_run alerts, in one statement. Returns the runs it failed. Service role only.';
revoke all on function public.reap_stuck_runs(timestamptz, integer) from public, anon, authenticated;
grant execute on function public.reap_stuck_runs(timestamptz, integer) to service_role;

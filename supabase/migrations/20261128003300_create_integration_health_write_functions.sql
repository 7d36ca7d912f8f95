-- The health monitor's writes. Executable by service_role only: the monitor (part of the scheduler tick) calls them.
-- Times are parameters (p_now, p_checked_at, p_at) so that the monitor's injected clock decides, not the server's.
-- The 15-minute floor between two checks of one (org, integration) is enforced here, whatever the caller computes.
-- Error codes: SR003 row not found, SR005 invalid argument (docs/errors.md).

-- register_integration_health: makes sure a row exists for an (org, integration), due at once when new.
create or replace function public.register_integration_health(p_org_id uuid, p_integration_type text, p_now timestamptz)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_org_id is null or p_now is null then
    raise exception 'org_id and now are required' using errcode = 'SR005';
  end if;
  if p_integration_type is null or p_integration_type !~ '^[a-z][a-z0-9_]{1,62}$' then
    raise exception 'integration_type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)' using errcode = 'SR005';
  end if;
  insert into public.integration_health (org_id, integration_type, next_check_at)
  values (p_org_id, p_integration_type, p_now)
  on conflict (org_id, integration_type) do nothing;
end
$$;

comment on function public.register_integration_health(uuid, text, timestamptz) is
  'Adds an (org, integration) to the health monitor (status unknown, due at p_now); a no-op when it is there.';
revoke all on function public.register_integration_health(uuid, text, timestamptz) from public, anon, authenticated;
grant execute on function public.register_integration_health(uuid, text, timestamptz) to service_role;

-- claim_due_integration_health_checks: takes up to p_limit due rows (active, or passive whose cool-down is over)
-- and pushes their next_check_at p_lease_seconds ahead, so a second monitor running at the same time skips them
-- (skip locked) and a monitor that dies mid-check does not cause a ping sooner than the lease.
create or replace function public.claim_due_integration_health_checks(p_now timestamptz, p_lease_seconds integer, p_limit integer)
returns setof public.integration_health
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_now is null then
    raise exception 'now is required' using errcode = 'SR005';
  end if;
  if p_lease_seconds is null or p_lease_seconds < 900 or p_lease_seconds > 86400 then
    raise exception 'lease must be 900 to 86400 seconds (never below the 15-minute floor)' using errcode = 'SR005';
  end if;
  if p_limit is null or p_limit < 1 or p_limit > 10000 then
    raise exception 'limit must be between 1 and 10000' using errcode = 'SR005';
  end if;

  return query
    with due as (
      select h.org_id, h.integration_type
      from public.integration_health h
      where h.next_check_at <= p_now
        and (h.mode = 'active' or h.passive_until <= p_now)
      order by h.next_check_at
      limit p_limit
      for update skip locked
    )
    update public.integration_health h
    set next_check_at = p_now + make_interval(secs => p_lease_seconds),
        updated_at = now()
    from due
    where h.org_id = due.org_id and h.integration_type = due.integration_type
    returning h.*;
end
$$;

comment on function public.claim_due_integration_health_checks(timestamptz, integer, integer) is
  'Claims due health checks (lease >= 15 minutes, skip locked: concurrent monitors never check one row twice).';
revoke all on function public.claim_due_integration_health_checks(timestamptz, integer, integer) from public, anon, authenticated;
grant execute on function public.claim_due_integration_health_checks(timestamptz, integer, integer) to service_role;

-- record_integration_health_check: the outcome of one check. Healthy resets the failure count, unhealthy adds one;
-- the next check is at p_next_check_at (the caller's backoff) but never sooner than 15 minutes after this one.
-- A passive period that started meanwhile (a sync was rate-limited) is kept.
create or replace function public.record_integration_health_check(
  p_org_id uuid,
  p_integration_type text,
  p_checked_at timestamptz,
  p_healthy boolean,
  p_latency_ms integer,
  p_error text,
  p_next_check_at timestamptz
)
returns public.integration_health
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row public.integration_health;
begin
  if p_org_id is null or p_integration_type is null or p_checked_at is null or p_healthy is null or p_next_check_at is null then
    raise exception 'org_id, integration_type, checked_at, healthy and next_check_at are required' using errcode = 'SR005';
  end if;
  if p_latency_ms < 0 then
    raise exception 'latency must be zero or more' using errcode = 'SR005';
  end if;

  update public.integration_health h
  set status = case when p_healthy then 'healthy' else 'unhealthy' end,
      consecutive_failures = case when p_healthy then 0 else h.consecutive_failures + 1 end,
      mode = case when h.mode = 'passive' and h.passive_until > p_checked_at then 'passive' else 'active' end,
      passive_until = case when h.mode = 'passive' and h.passive_until > p_checked_at then h.passive_until end,
      next_check_at = greatest(
        p_next_check_at,
        p_checked_at + interval '15 minutes',
        case when h.mode = 'passive' then h.passive_until end
      ),
      last_checked_at = p_checked_at,
      last_success_at = case when p_healthy then p_checked_at else h.last_success_at end,
      last_latency_ms = p_latency_ms,
      last_error = case when p_healthy then null else left(coalesce(p_error, 'health check failed'), 2000) end,
      updated_at = now()
  where h.org_id = p_org_id and h.integration_type = p_integration_type
  returning h.* into v_row;

  if not found then
    raise exception 'no health row for % of org %', p_integration_type, p_org_id using errcode = 'SR003';
  end if;
  return v_row;
end
$$;

comment on function public.record_integration_health_check(uuid, text, timestamptz, boolean, integer, text, timestamptz) is
  'Stores one health check outcome; clamps the next check to at least 15 minutes later. SR003 unknown row, SR005 bad input.';
revoke all on function public.record_integration_health_check(uuid, text, timestamptz, boolean, integer, text, timestamptz)
  from public, anon, authenticated;
grant execute on function public.record_integration_health_check(uuid, text, timestamptz, boolean, integer, text, timestamptz)
  to service_role;

-- enter_integration_passive_mode: the vendor answered 429 or sent Retry-After. Credentials are per server, not per
-- org, so every org's row of that integration goes passive until p_until (at least 15 minutes; an existing later end
-- is kept): no pings until then, scheduled syncs decide the status. p_checked_org_ids: rows whose check this was.
create or replace function public.enter_integration_passive_mode(
  p_org_id uuid,
  p_integration_type text,
  p_now timestamptz,
  p_until timestamptz,
  p_error text,
  p_checked_org_ids uuid[] default '{}'
)
returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_until timestamptz;
  v_count integer;
begin
  if p_now is null or p_until is null then
    raise exception 'now and until are required' using errcode = 'SR005';
  end if;
  perform public.register_integration_health(p_org_id, p_integration_type, p_now);
  v_until := greatest(p_until, p_now + interval '15 minutes');

  update public.integration_health h
  set mode = 'passive',
      passive_until = greatest(case when h.mode = 'passive' then h.passive_until end, v_until),
      next_check_at = greatest(h.next_check_at, case when h.mode = 'passive' then h.passive_until end, v_until),
      last_checked_at = case when h.org_id = any(coalesce(p_checked_org_ids, '{}')) then p_now else h.last_checked_at end,
      last_error = left(coalesce(p_error, 'rate limited'), 2000),
      updated_at = now()
  where h.integration_type = p_integration_type;
  get diagnostics v_count = row_count;
  return v_count;
end
$$;

comment on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[]) is
  'Switches an integration (every org: the credentials are shared) to passive mode until p_until; returns the rows changed.';
revoke all on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[])
  from public, anon, authenticated;
grant execute on function public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[])
  to service_role;

-- record_integration_sync_outcome: a scheduled sync finished. Always kept as last_sync_*; in passive mode it is
-- what decides the status (no pings then).
create or replace function public.record_integration_sync_outcome(
  p_org_id uuid,
  p_integration_type text,
  p_at timestamptz,
  p_succeeded boolean,
  p_error text
)
returns public.integration_health
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_row public.integration_health;
begin
  if p_at is null or p_succeeded is null then
    raise exception 'at and succeeded are required' using errcode = 'SR005';
  end if;
  perform public.register_integration_health(p_org_id, p_integration_type, p_at);

  update public.integration_health h
  set last_sync_at = p_at,
      last_sync_succeeded = p_succeeded,
      status = case
        when h.mode = 'passive' then case when p_succeeded then 'healthy' else 'unhealthy' end
        else h.status
      end,
      last_error = case
        when h.mode <> 'passive' then h.last_error
        when p_succeeded then null
        else left(coalesce(p_error, 'sync failed'), 2000)
      end,
      updated_at = now()
  where h.org_id = p_org_id and h.integration_type = p_integration_type
  returning h.* into v_row;
  return v_row;
end
$$;

comment on function public.record_integration_sync_outcome(uuid, text, timestamptz, boolean, text) is
  'Records a scheduled sync''s outcome; in passive mode it sets the status. SR005 on invalid input.';
revoke all on function public.record_integration_sync_outcome(uuid, text, timestamptz, boolean, text) from public, anon, authenticated;
grant execute on function public.record_integration_sync_outcome(uuid, text, timestamptz, boolean, text) to service_role;

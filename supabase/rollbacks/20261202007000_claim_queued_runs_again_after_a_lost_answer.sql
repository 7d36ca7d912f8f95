-- Undoes 20261202007000: claim_pending_runs as 20261201001400 wrote it (no claim id), and the kept claims gone.
drop function if exists public.claim_pending_runs(integer, uuid);
drop table if exists sync_private.run_claims;

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

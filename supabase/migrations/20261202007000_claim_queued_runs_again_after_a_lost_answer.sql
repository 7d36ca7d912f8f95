-- A claim of queued "Sync now" runs whose answer was lost can ask again. claim_pending_runs moved the runs to running
-- and committed, and when its answer did not arrive the executor had nothing to run: the runs stayed `running` with
-- nobody syncing them until the reaper failed them after their run timeout (30 minutes by default), and the click
-- that queued one showed "running" all that time. The claimer now passes an id of its own (p_claim_id); the runs a
-- claim takes are kept against it (sync_private.run_claims), and the same id again returns them instead of claiming
-- more. A call without p_claim_id claims as before.

create table if not exists sync_private.run_claims (
  run_id uuid primary key references public.sync_run_log (id) on delete cascade,
  claim_id uuid not null,
  claimed_at timestamptz not null default now()
);
create index if not exists run_claims_claim_idx on sync_private.run_claims (claim_id);

comment on table sync_private.run_claims is
  'Which claim (the claimer''s p_claim_id) took each queued run, so that a claim whose answer was lost can ask '
  'again (claim_pending_runs). Gone with its run (archived).';
revoke all on table sync_private.run_claims from public, anon, authenticated, service_role;
grant select, insert, delete on table sync_private.run_claims to service_role;

drop function if exists public.claim_pending_runs(integer);

create or replace function public.claim_pending_runs(p_limit integer default 10, p_claim_id uuid default null)
returns table (run public.sync_run_log, run_timeout_seconds integer)
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'limit must be between 1 and 1000, got %', coalesce(p_limit::text, 'null') using errcode = 'SR005';
  end if;

  -- The same claim again (its answer was lost): the runs it took, those still running, and nothing more.
  if p_claim_id is not null and exists (select 1 from sync_private.run_claims c where c.claim_id = p_claim_id) then
    return query
      select r, s.run_timeout_seconds
      from sync_private.run_claims c
      join public.sync_run_log r on r.id = c.run_id
      left join public.sync_schedules s on s.org_id = r.org_id and s.integration_type = r.integration_type
      where c.claim_id = p_claim_id and r.status = 'running'
      order by r.started_at, r.id;
    return;
  end if;

  -- Claims older than a day are of runs long ended or reaped: they go (the archive takes the rest with their runs).
  delete from sync_private.run_claims c where c.claimed_at < now() - interval '1 day';

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
    ),
    kept as (
      insert into sync_private.run_claims (run_id, claim_id)
      select (c.r).id, p_claim_id from claimed c where p_claim_id is not null
    )
    select c.r, s.run_timeout_seconds
    from claimed c
    left join public.sync_schedules s on s.org_id = (c.r).org_id and s.integration_type = (c.r).integration_type
    order by (c.r).started_at, (c.r).id;
end
$$;

comment on function public.claim_pending_runs(integer, uuid) is
  'Claims up to p_limit (1..1000) queued runs, oldest first: pending -> running with a heartbeat, skipping rows '
  'another executor holds. Returns each with its schedule''s run timeout. With p_claim_id, the claim is kept: called '
  'again with it (its answer was lost), it returns the runs it took that are still running, and claims no more. '
  'Service role only.';
revoke all on function public.claim_pending_runs(integer, uuid) from public, anon, authenticated;
grant execute on function public.claim_pending_runs(integer, uuid) to service_role;

-- get_run_history_page: a page of the run history of one integration of an org, newest first (started_at desc,
-- id desc), optionally only one status and/or one trigger; with a cursor, only the runs after it, i.e. older than
-- (p_before_started_at, p_before_id), the last run of the previous page. It walks the index
-- sync_run_log_org_integration_started_idx from the cursor on, whatever the page's depth (runs with the same
-- started_at are put in id order as they come: an incremental sort, never a sort of the history); the status and
-- trigger filters are applied along the walk. Runs as the caller: RLS applies. p_limit is 1..1000. The hot table
-- only, as get_run_history.
create or replace function public.get_run_history_page(
  p_org_id uuid,
  p_integration_type text,
  p_limit integer,
  p_status text default null,
  p_triggered_by text default null,
  p_before_started_at timestamptz default null,
  p_before_id uuid default null
)
returns setof public.sync_run_log
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > 1000 then
    raise exception 'limit must be between 1 and 1000, got %', coalesce(p_limit::text, 'null') using errcode = 'SR005';
  end if;
  if p_integration_type is null then
    raise exception 'integration_type is required' using errcode = 'SR005';
  end if;
  if p_status is not null and p_status not in ('pending', 'running', 'completed', 'failed', 'cancelled') then
    raise exception 'status must be pending, running, completed, failed or cancelled' using errcode = 'SR005';
  end if;
  if p_triggered_by is not null and p_triggered_by not in ('scheduler', 'manual') then
    raise exception 'triggered_by must be scheduler or manual' using errcode = 'SR005';
  end if;
  if (p_before_started_at is null) <> (p_before_id is null) then
    raise exception 'a cursor needs both started_at and id' using errcode = 'SR005';
  end if;

  -- Two statements rather than one with `p_before_started_at is null or ...`: each keeps its index condition in
  -- the plan PL/pgSQL caches.
  if p_before_started_at is null then
    return query
      select r.*
      from public.sync_run_log r
      where r.org_id = p_org_id
        and r.integration_type = p_integration_type
        and (p_status is null or r.status = p_status)
        and (p_triggered_by is null or r.triggered_by = p_triggered_by)
      order by r.started_at desc, r.id desc
      limit p_limit;
  else
    return query
      select r.*
      from public.sync_run_log r
      where r.org_id = p_org_id
        and r.integration_type = p_integration_type
        and (r.started_at, r.id) < (p_before_started_at, p_before_id)
        and (p_status is null or r.status = p_status)
        and (p_triggered_by is null or r.triggered_by = p_triggered_by)
      order by r.started_at desc, r.id desc
      limit p_limit;
  end if;
end
$$;

comment on function public.get_run_history_page(uuid, text, integer, text, text, timestamptz, uuid) is
  'A page of one integration''s runs, newest first, filtered by status and trigger, after the cursor (started_at, id) '
  'when given. Runs as the caller: RLS applies.';
revoke all on function public.get_run_history_page(uuid, text, integer, text, text, timestamptz, uuid)
  from public, anon, authenticated;
grant execute on function public.get_run_history_page(uuid, text, integer, text, text, timestamptz, uuid)
  to authenticated, service_role;

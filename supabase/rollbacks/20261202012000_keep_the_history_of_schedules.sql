-- Undoes 20261202012000: get_period_runs as 20261201004000 wrote it; the spans, their trigger and its function go.
drop trigger if exists sync_schedules_track_span on public.sync_schedules;
drop trigger if exists sync_schedules_track_span_change on public.sync_schedules;
drop function if exists sync_private.track_schedule_span();
drop table if exists public.sync_schedule_spans;

create or replace function public.get_period_runs(
  p_org_id uuid,
  p_integration_type text,
  p_from timestamptz,
  p_to timestamptz
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_schedule json;
  v_runs json;
  v_count bigint;
begin
  if p_integration_type is null or p_integration_type !~ '^[a-z][a-z0-9_]{1,62}$' then
    raise exception 'integration_type must be a lowercase identifier (^[a-z][a-z0-9_]{1,62}$)' using errcode = 'SR005';
  end if;
  if p_from is null or p_to is null or not p_from < p_to then
    raise exception 'the period range is empty: from must be before to' using errcode = 'SR005';
  end if;
  select to_json(s) into v_schedule
  from public.sync_schedules s
  where s.org_id = p_org_id and s.integration_type = p_integration_type;
  if v_schedule is null then
    return null;
  end if;

  select json_build_object(
    'key', coalesce(array_agg(r.idempotency_key), '{}'),
    'scheduledFor', coalesce(array_agg(date_part('epoch', r.scheduled_for) * 1000), '{}'),
    'id', coalesce(array_agg(r.id), '{}'),
    'status', coalesce(array_agg(r.status), '{}'),
    'startedAt', coalesce(array_agg(r.started_at), '{}'),
    'endedAt', coalesce(array_agg(r.ended_at), '{}'),
    'recordsProcessed', coalesce(array_agg(r.records_processed), '{}'),
    'recordsFailed', coalesce(array_agg(r.records_failed), '{}'),
    'archivedIds', coalesce(array_agg(r.id) filter (where r.archived), '{}')
  ), count(*)
  into v_runs, v_count
  from (
    select h.idempotency_key, h.scheduled_for, h.id, h.status, h.started_at, h.ended_at, h.records_processed,
      h.records_failed, false as archived
    from public.sync_run_log h
    where h.org_id = p_org_id
      and h.integration_type = p_integration_type
      and h.scheduled_for >= p_from
      and h.scheduled_for < p_to
      and h.idempotency_key like p_integration_type || ':____-__-__T__:__:__.___Z'
    union all
    select a.idempotency_key, a.scheduled_for, a.id, a.status, a.started_at, a.ended_at, a.records_processed,
      a.records_failed, true
    from public.sync_run_log_archive a
    where a.org_id = p_org_id
      and a.integration_type = p_integration_type
      and a.scheduled_for >= p_from
      and a.scheduled_for < p_to
      and a.idempotency_key like p_integration_type || ':____-__-__T__:__:__.___Z'
    limit 10001
  ) r;
  if v_count > 10000 then
    raise exception 'more than 10000 runs in the period range: narrow it' using errcode = 'SR005';
  end if;
  return json_build_object('schedule', v_schedule, 'runs', v_runs);
end
$$;

comment on function public.get_period_runs(uuid, text, timestamptz, timestamptz) is
  'An org''s schedule of an integration and its scheduler runs (hot table, then archive) whose period is in '
  '[from, to): {schedule, runs}, runs as a JSON object of columns (key, scheduledFor in epoch ms, id, status, '
  'startedAt, endedAt, recordsProcessed, recordsFailed, archivedIds). At most 10000 runs. Null without a visible '
  'schedule. Runs as the caller.';
revoke all on function public.get_period_runs(uuid, text, timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function public.get_period_runs(uuid, text, timestamptz, timestamptz) to authenticated, service_role;

-- The period ledger reads its schedule and the scheduler runs of a period range in one call, with one range scan of
-- a new index on (org_id, integration_type, scheduled_for), instead of a call for the schedule and one receiving the
-- range's periods (up to 1,000 timestamps) matched by a window scan of the started_at index plus a key probe per
-- period without a run (get_period_outcomes, 20261201003000, which this replaces). The caller matches the runs to
-- the periods it computes from the cron expression, by key and period. Why: the ledger was 14x GET /runs/latest's
-- p99 (bench), and most of its database time went into the probes, the periods going in and a JSON array built
-- row by row.
--
-- The indexes are partial (scheduled_for is not null: manual runs never have a period) and built inside the
-- migration's transaction (they block writes to the table while they build); on a large table, build them first
-- with `create index concurrently` under the same names, and these statements are no-ops. The archive's key index
-- (20261201001800) served only get_period_outcomes's probes: the period index replaces it.
create index if not exists sync_run_log_org_integration_period_idx
  on public.sync_run_log (org_id, integration_type, scheduled_for) where scheduled_for is not null;
create index if not exists sync_run_log_archive_org_integration_period_idx
  on public.sync_run_log_archive (org_id, integration_type, scheduled_for) where scheduled_for is not null;
drop index if exists public.sync_run_log_archive_idempotency_key_idx;

drop function if exists public.get_period_outcomes(uuid, text, timestamptz[]);

-- get_period_runs: an org's schedule of an integration and the scheduler runs whose period (scheduled_for) is in
-- [p_from, p_to), in the hot table and the archive, whose idempotency key has the scheduler's shape
-- `<integration>:<ISO 8601 UTC with milliseconds>` (the caller checks that it is exactly the period's key), as
--   {"schedule": <the sync_schedules row>,
--    "runs": {"key": [...], "scheduledFor": [epoch ms], "id": [...], "status": [...], "startedAt": [...],
--             "endedAt": [...], "recordsProcessed": [...], "recordsFailed": [...],
--             "archivedIds": [the ids of the runs found in the archive]}}
-- one entry per run in each column, hot runs first. One call: the caller computes the periods from the schedule's
-- cron expression and matches the runs to them. Columns, not an object or array per run: array_to_json renders a
-- whole column with one type lookup, where json_build_array resolves the type of each value of each row (twice the
-- time for 1,000 runs); and only what the caller cannot derive (it computes the drift from startedAt and the
-- period). Timestamps render as to_json renders timestamptz.
-- At most 10,000 runs (SR005 beyond: narrow the range; a ledger request covers at most 1,000 periods).
-- No schedule the caller can see for the integration (another org's under RLS, or none): null.
-- Runs as the caller: RLS applies.
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

-- A schedule's history: which expression, in which time zone, was in force when. The period ledger computed every
-- period of a range from the schedule as it is now, and left out the periods without a run before its active_from
-- or while it is disabled. Changing the expression or the zone, or disabling and enabling it, moves active_from to
-- the change (20261202001000), so a review found that such a change erased the missed periods of the days before it
-- from the ledger (29 missed periods of an outage became "on time"), and a period due but not yet run when the
-- expression changed was never shown at all. A span is now recorded for each stretch in which the schedule was
-- enabled with one expression and zone; the ledger shows a period without a run as missed when a span had it due.
--
-- sync_schedule_spans: kept by a trigger on sync_schedules (its writers are the service-role functions), never
-- written otherwise. A span opens when a schedule is created enabled, is enabled again, or gets another expression,
-- zone or active_from; the open span closes (active_until) at the change, or when the schedule is disabled or
-- deleted. A span starting at T replaces whatever the history said from T on (an active_from set in the past, as the
-- demo's seeding and the tests do, rewrites that stretch): spans never overlap. Spans of a deleted schedule stay.
-- Read by the org's coordinators and admins, as the schedules are.
create table if not exists public.sync_schedule_spans (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  integration_type text not null,
  cron_expression text not null,
  time_zone text not null,
  active_from timestamptz not null,
  active_until timestamptz,
  constraint sync_schedule_spans_not_empty check (active_until is null or active_until > active_from)
);

create index if not exists sync_schedule_spans_org_integration_idx
  on public.sync_schedule_spans (org_id, integration_type, active_from);
create unique index if not exists sync_schedule_spans_one_open_idx
  on public.sync_schedule_spans (org_id, integration_type) where active_until is null;

alter table public.sync_schedule_spans enable row level security;
drop policy if exists "Coordinators and admins read their org's schedule spans" on public.sync_schedule_spans;
create policy "Coordinators and admins read their org's schedule spans"
  on public.sync_schedule_spans for select to authenticated
  using (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );
revoke all on table public.sync_schedule_spans from public, anon, authenticated, service_role;
grant select on table public.sync_schedule_spans to authenticated, service_role;

comment on table public.sync_schedule_spans is
  'When a schedule was in force with which cron expression and time zone: [active_from, active_until), open while '
  'it is. Kept by a trigger on sync_schedules; the period ledger reads it.';

-- track_schedule_span: the trigger. It runs as its owner: the spans have no write grant for anyone.
create or replace function sync_private.track_schedule_span()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_org uuid := coalesce(new.org_id, old.org_id);
  v_type text := coalesce(new.integration_type, old.integration_type);
  v_opens boolean := tg_op <> 'DELETE' and new.enabled;
  v_at timestamptz := case when v_opens then least(now(), new.active_from) else now() end;
begin
  -- What the history said from the change on is replaced: the open span ends there, spans after it go.
  delete from public.sync_schedule_spans p
  where p.org_id = v_org and p.integration_type = v_type and p.active_from >= v_at;
  update public.sync_schedule_spans p
  set active_until = v_at
  where p.org_id = v_org and p.integration_type = v_type and (p.active_until is null or p.active_until > v_at);
  if v_opens then
    insert into public.sync_schedule_spans (org_id, integration_type, cron_expression, time_zone, active_from)
    values (new.org_id, new.integration_type, new.cron_expression, new.time_zone, new.active_from);
  end if;
  return null;
end
$$;
revoke all on function sync_private.track_schedule_span() from public;

-- On a change of what the periods depend on; not on the period trigger's last_scheduled_for or a new run timeout.
drop trigger if exists sync_schedules_track_span on public.sync_schedules;
create trigger sync_schedules_track_span
  after insert or delete on public.sync_schedules
  for each row execute function sync_private.track_schedule_span();
drop trigger if exists sync_schedules_track_span_change on public.sync_schedules;
create trigger sync_schedules_track_span_change
  after update on public.sync_schedules
  for each row
  when (
    old.cron_expression is distinct from new.cron_expression
    or old.time_zone is distinct from new.time_zone
    or old.enabled is distinct from new.enabled
    or old.active_from is distinct from new.active_from
  )
  execute function sync_private.track_schedule_span();

-- The schedules of today, each from its active_from (what the ledger already assumed for them).
insert into public.sync_schedule_spans (org_id, integration_type, cron_expression, time_zone, active_from)
select s.org_id, s.integration_type, s.cron_expression, s.time_zone, s.active_from
from public.sync_schedules s
where s.enabled
  and not exists (
    select 1 from public.sync_schedule_spans p where p.org_id = s.org_id and p.integration_type = s.integration_type
  );

-- get_period_runs (20261201004000) with the spans of the schedule's history that overlap [p_from, p_to), oldest
-- first, each {cronExpression, timeZone, activeFrom, activeUntil (null while open)}: the ledger's periods without a
-- run are those the spans had due.
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
  v_spans json;
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
  select coalesce(json_agg(json_build_object(
      'cronExpression', p.cron_expression, 'timeZone', p.time_zone,
      'activeFrom', p.active_from, 'activeUntil', p.active_until) order by p.active_from), '[]')
  into v_spans
  from public.sync_schedule_spans p -- sync_schedule_spans_org_integration_idx
  where p.org_id = p_org_id and p.integration_type = p_integration_type
    and p.active_from < p_to and (p.active_until is null or p.active_until > p_from);

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
  return json_build_object('schedule', v_schedule, 'spans', v_spans, 'runs', v_runs);
end
$$;

comment on function public.get_period_runs(uuid, text, timestamptz, timestamptz) is
  'An org''s schedule of an integration, the spans of its history that overlap [from, to) and its scheduler runs '
  '(hot table, then archive) whose period is in [from, to): {schedule, spans, runs}, runs as a JSON object of columns (key, scheduledFor in epoch ms, id, status, '
  'startedAt, endedAt, recordsProcessed, recordsFailed, archivedIds). At most 10000 runs. Null without a visible '
  'schedule. Runs as the caller.';
revoke all on function public.get_period_runs(uuid, text, timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function public.get_period_runs(uuid, text, timestamptz, timestamptz) to authenticated, service_role;

-- What the scheduler's tick reads and records besides starting runs (insert_run_log). Service role only.

-- get_schedules_for_tick: every enabled schedule, with the newest period already started (last_scheduled_for).
-- The tick computes the due periods from the cron expression in the schedule's time zone (croner).
create or replace function public.get_schedules_for_tick()
returns setof public.sync_schedules
language sql
stable
security invoker
set search_path = ''
as $$
  select s.* from public.sync_schedules s where s.enabled order by s.org_id, s.integration_type
$$;

comment on function public.get_schedules_for_tick() is
  'Every enabled schedule, for the scheduler tick. Service role only.';
revoke all on function public.get_schedules_for_tick() from public, anon, authenticated;
grant execute on function public.get_schedules_for_tick() to service_role;

-- record_missed_periods: after a run was started for the latest due period, records the earlier due periods that
-- were skipped (the scheduler was down, or the previous run was still running), as one missed_periods alert.
-- Periods that have a run after all (another ticker started them) are left out; nothing is recorded when none
-- remain or when the alert of this run exists already. p_total_missed counts periods beyond the listed ones.
create or replace function public.record_missed_periods(
  p_run_id uuid,
  p_missed_periods timestamptz[],
  p_total_missed integer default null
)
returns setof public.sync_alerts
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_run public.sync_run_log;
  v_missed timestamptz[];
  v_total integer;
begin
  select r.* into v_run from public.sync_run_log r where r.id = p_run_id;
  if not found then
    raise exception 'run % not found', p_run_id using errcode = 'SR003';
  end if;
  if v_run.triggered_by <> 'scheduler' or v_run.scheduled_for is null then
    raise exception 'run % is not a scheduled run', p_run_id using errcode = 'SR005';
  end if;
  if cardinality(p_missed_periods) > 1000 then
    raise exception 'at most 1000 missed periods can be listed' using errcode = 'SR005';
  end if;

  select coalesce(array_agg(p order by p), '{}') into v_missed
  from unnest(coalesce(p_missed_periods, '{}')) p
  where p < v_run.scheduled_for
    and not exists (
      select 1 from public.sync_run_log r
      where r.org_id = v_run.org_id
        and r.idempotency_key = v_run.integration_type || ':'
          || to_char(p at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    );
  if cardinality(v_missed) = 0 then
    return;
  end if;
  v_total := greatest(coalesce(p_total_missed, 0), cardinality(v_missed));

  return query
    insert into public.sync_alerts as a (org_id, kind, integration_type, run_id, details, dedupe_key)
    values (
      v_run.org_id, 'missed_periods', v_run.integration_type, v_run.id,
      jsonb_build_object(
        'missed_count', v_total,
        'missed_periods', to_jsonb(v_missed[1:100]),
        'first_missed', v_missed[1],
        'last_missed', v_missed[cardinality(v_missed)],
        'ran_instead', v_run.scheduled_for
      ),
      'missed_periods:' || v_run.id
    )
    on conflict (org_id, dedupe_key) where dedupe_key is not null do nothing
    returning a.*;
end
$$;

comment on function public.record_missed_periods(uuid, timestamptz[], integer) is
  'Records the due periods skipped in favour of a started run as one missed_periods alert (once per run).';
revoke all on function public.record_missed_periods(uuid, timestamptz[], integer) from public, anon, authenticated;
grant execute on function public.record_missed_periods(uuid, timestamptz[], integer) to service_role;

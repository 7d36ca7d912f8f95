-- Back to the version of 20261128002920.
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

-- Drift: how late a scheduler run started, started_at - scheduled_for, in seconds. Both columns are stamped when the
-- run starts and never change (the status trigger forbids it), so drift is a fact of the run: it is exposed as a
-- computed field (PostgREST: select=*,drift_seconds) rather than a stored column, which would rewrite the table and
-- break the column-for-column copy into the archive. Null for manual runs (they have no period).

-- drift_seconds: started_at - scheduled_for of a run, in seconds (null without a period).
create or replace function public.drift_seconds(p_run public.sync_run_log)
returns numeric
language sql
immutable
set search_path = ''
as $$
  select extract(epoch from (p_run.started_at - p_run.scheduled_for))
$$;

comment on function public.drift_seconds(public.sync_run_log) is
  'How late a scheduler run started (started_at - scheduled_for, seconds); null for manual runs. A computed field.';
revoke all on function public.drift_seconds(public.sync_run_log) from public, anon, authenticated;
grant execute on function public.drift_seconds(public.sync_run_log) to authenticated, service_role;

-- check_run_drift: the drift of a run, and a schedule_drift alert when it is over p_threshold_seconds (default 5
-- minutes). alert_id is the new alert, null when under the threshold or already recorded (the caller notifies
-- only when it is set, so several tickers never notify twice).
create or replace function public.check_run_drift(p_run_id uuid, p_threshold_seconds integer default 300)
returns table (run_id uuid, drift_seconds numeric, alert_id uuid)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_run public.sync_run_log;
  v_drift numeric;
  v_alert uuid;
begin
  if p_threshold_seconds is null or p_threshold_seconds < 0 then
    raise exception 'drift threshold must be zero or more seconds' using errcode = 'SR005';
  end if;
  select r.* into v_run from public.sync_run_log r where r.id = p_run_id;
  if not found then
    raise exception 'run % not found', p_run_id using errcode = 'SR003';
  end if;
  v_drift := public.drift_seconds(v_run);
  if v_drift > p_threshold_seconds then
    insert into public.sync_alerts as a (org_id, kind, integration_type, run_id, details, dedupe_key)
    values (
      v_run.org_id, 'schedule_drift', v_run.integration_type, v_run.id,
      jsonb_build_object(
        'drift_seconds', v_drift,
        'threshold_seconds', p_threshold_seconds,
        'scheduled_for', v_run.scheduled_for,
        'started_at', v_run.started_at
      ),
      'schedule_drift:' || v_run.id
    )
    on conflict (org_id, dedupe_key) where dedupe_key is not null do nothing
    returning a.id into v_alert;
  end if;
  return query select v_run.id, v_drift, v_alert;
end
$$;

comment on function public.check_run_drift(uuid, integer) is
  'Drift of a run; records a schedule_drift alert (once) when over the threshold. SR003 unknown run, SR005 bad threshold.';
revoke all on function public.check_run_drift(uuid, integer) from public, anon, authenticated;
grant execute on function public.check_run_drift(uuid, integer) to service_role;

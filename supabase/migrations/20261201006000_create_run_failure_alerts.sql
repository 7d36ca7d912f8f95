-- run_failed alerts: a scheduled run that failed leaves its period unsynced until someone acts (credentials the
-- vendor refuses, a vendor down past the retries, a connection removed while its schedule runs on). Until now only
-- the run's row said so, and nobody was told. The executor records the failure with record_run_failure(run) right
-- after it failed the run (docs/scheduler.md).
-- One open alert per org and integration: while one is unacknowledged, later failures are counted into it
-- (failed_count and the last_* details) instead of opening another, so expired credentials under an every-5-minutes
-- schedule are one alert and one notification, not 288 a day. Acknowledging it closes it; the next failure opens a
-- new one. Runs failed by the reaper have their stuck_run alert; manual runs are watched by whoever started them.

-- At most one open run_failed alert per org and integration, whoever records it.
create unique index if not exists sync_alerts_open_run_failed_idx
  on public.sync_alerts (org_id, integration_type) where kind = 'run_failed' and acknowledged_at is null;

-- The service role may update an alert's details (the count of an open run_failed alert), besides its
-- acknowledgement; still no UPDATE policy, so no client can.
grant update (details) on table public.sync_alerts to service_role;

-- record_run_failure: records the failure of a run that ended failed. Returns the alert when this call opened one
-- (the caller notifies), nothing when the failure was counted into the open alert, was recorded already (a retried
-- call) or is not a scheduled run's. SR003 for an unknown run, SR005 for a run that has not failed.
create or replace function public.record_run_failure(p_run_id uuid)
returns setof public.sync_alerts
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_run public.sync_run_log;
  v_last jsonb;
  v_counted uuid;
begin
  if p_run_id is null then
    raise exception 'run id is required' using errcode = 'SR005';
  end if;
  select r.* into v_run from public.sync_run_log r where r.id = p_run_id;
  if not found then
    raise exception 'run % not found', p_run_id using errcode = 'SR003';
  end if;
  if v_run.status <> 'failed' then
    raise exception 'run % is %, not failed', p_run_id, v_run.status using errcode = 'SR005';
  end if;
  if v_run.triggered_by <> 'scheduler' then
    return;
  end if;
  -- Recorded already (a retried call): the alert it opened, or the open alert it was last counted into.
  if exists (
    select 1 from public.sync_alerts a
    where a.org_id = v_run.org_id and a.run_id = p_run_id and a.kind = 'run_failed'
  ) or exists (
    select 1 from public.sync_alerts a
    where a.org_id = v_run.org_id
      and a.integration_type = v_run.integration_type
      and a.kind = 'run_failed'
      and a.acknowledged_at is null
      and a.details ->> 'last_run_id' = p_run_id::text
  ) then
    return;
  end if;

  v_last := jsonb_build_object(
    'last_run_id', v_run.id,
    'last_scheduled_for', v_run.scheduled_for,
    'last_failed_at', v_run.ended_at,
    'last_error_message', v_run.error_message
  );
  -- Count it into the open alert; open one when there is none. A failure recorded at the same moment for the same
  -- integration may open it first (the unique index): then this one is counted into it.
  loop
    update public.sync_alerts a
    set details = a.details || v_last
      || jsonb_build_object('failed_count', coalesce((a.details ->> 'failed_count')::integer, 1) + 1)
    where a.org_id = v_run.org_id
      and a.integration_type = v_run.integration_type
      and a.kind = 'run_failed'
      and a.acknowledged_at is null
    returning a.id into v_counted;
    if v_counted is not null then
      return;
    end if;
    return query
      insert into public.sync_alerts as a (org_id, kind, integration_type, run_id, details)
      values (
        v_run.org_id, 'run_failed', v_run.integration_type, v_run.id,
        jsonb_build_object(
          'failed_count', 1,
          'scheduled_for', v_run.scheduled_for,
          'failed_at', v_run.ended_at,
          'error_message', v_run.error_message
        ) || v_last
      )
      on conflict (org_id, integration_type) where kind = 'run_failed' and acknowledged_at is null do nothing
      returning a.*;
    if found then
      return;
    end if;
  end loop;
end
$$;

comment on function public.record_run_failure(uuid) is
  'Records a failed scheduled run as a run_failed alert: opens one per org and integration (returned, to notify) or '
  'counts it into the open one (nothing returned). Service role only.';
revoke all on function public.record_run_failure(uuid) from public, anon, authenticated;
grant execute on function public.record_run_failure(uuid) to service_role;

-- The status machine of a run, enforced for every role (the service role and table owner included):
--   pending -> running | cancelled
--   running -> running (progress: metrics, heartbeat) | completed | failed | cancelled
--   completed, failed, cancelled are final: the row never changes again.
-- What a run is (org, integration, trigger, period, key, start) never changes after insert.
create or replace function sync_private.enforce_run_status_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status in ('completed', 'failed', 'cancelled') then
    raise exception 'run % is % and can no longer change', old.id, old.status
      using errcode = 'SR006', hint = 'completed, failed and cancelled are final';
  end if;

  if not (
    (old.status = 'pending' and new.status in ('running', 'cancelled'))
    or (old.status = 'running' and new.status in ('running', 'completed', 'failed', 'cancelled'))
  ) then
    raise exception 'run % cannot go from % to %', old.id, old.status, new.status
      using errcode = 'SR006';
  end if;

  if new.id is distinct from old.id
    or new.org_id is distinct from old.org_id
    or new.integration_type is distinct from old.integration_type
    or new.triggered_by is distinct from old.triggered_by
    or new.scheduled_for is distinct from old.scheduled_for
    or new.idempotency_key is distinct from old.idempotency_key
    or new.started_at is distinct from old.started_at
  then
    raise exception 'run %: id, org_id, integration_type, triggered_by, scheduled_for, idempotency_key and started_at never change', old.id
      using errcode = 'SR006';
  end if;

  return new;
end
$$;

comment on function sync_private.enforce_run_status_transition() is
  'Trigger: the run status machine and the immutable columns, enforced in the database for every role.';
revoke all on function sync_private.enforce_run_status_transition() from public;

drop trigger if exists sync_run_log_status_transition on public.sync_run_log;
create trigger sync_run_log_status_transition
  before update on public.sync_run_log
  for each row execute function sync_private.enforce_run_status_transition();

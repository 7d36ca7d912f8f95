-- Before the archive goes, its runs go back to the hot table: a rollback loses no history. The same columns
-- (duration_seconds is recomputed there); the tables' user triggers are held off meanwhile, since these are old,
-- final runs of periods long passed. A conflict with a hot row (there should be none) fails the rollback instead of
-- dropping a run.
do $$
begin
  if to_regclass('public.sync_run_log_archive') is not null then
    alter table public.sync_run_log disable trigger user;
    insert into public.sync_run_log
      (id, org_id, integration_type, started_at, ended_at, status, records_processed, records_failed, error_message,
       triggered_by, scheduled_for, idempotency_key, heartbeat_at)
    select id, org_id, integration_type, started_at, ended_at, status, records_processed, records_failed,
      error_message, triggered_by, scheduled_for, idempotency_key, heartbeat_at
    from public.sync_run_log_archive;
    alter table public.sync_run_log enable trigger user;
  end if;
end
$$;

drop table if exists public.sync_run_log_archive;

-- A manual run never takes a period's key: the scheduler's keys are `<integration>:<period, ISO 8601 UTC>`, and a
-- manual run whose idempotency key had that shape would make the scheduled run of that period a "duplicate" that
-- never runs. Added NOT VALID and then validated, so a large table is scanned without blocking writes.
do $$
begin
  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conname = 'sync_run_log_manual_key_not_a_period' and conrelid = 'public.sync_run_log'::regclass
  ) then
    alter table public.sync_run_log add constraint sync_run_log_manual_key_not_a_period check (
      triggered_by = 'scheduler'
      or idempotency_key is null
      or idempotency_key !~ '^[a-z][a-z0-9_]{1,62}:[0-9]{4}-[0-9]{2}-[0-9]{2}T'
    ) not valid;
  end if;
end
$$;

alter table public.sync_run_log validate constraint sync_run_log_manual_key_not_a_period;

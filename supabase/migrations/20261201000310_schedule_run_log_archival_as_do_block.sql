-- The daily archival job (archive-sync-run-log, migration 20261128004600) runs a `do` block instead of calling the
-- procedure public.archive_run_log_in_batches, which migration 20261201000320 drops (docs/decisions.md: "No
-- function without a fixed search_path"). The block is what sync_private.archive_run_log_job_command writes, with
-- the arguments the job had: its retention, batch size and source are carried over from the `call`, and its schedule
-- and active flag stay as they were (cron.schedule with the job's own name and schedule changes only the command).
-- Where pg_cron is absent, or the job is not there (pg_cron enabled after the migrations; see docs/archival.md),
-- this does nothing. A command of any other shape is not guessed at: the migration stops and says so, rather than
-- leave a job that would call a dropped procedure. Applied again, the block is recognised and left as it is.
do $$
declare
  v_job record;
  v_call text[];
  v_block text[];
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    return;
  end if;
  for v_job in
    select j.jobname, j.schedule, j.command from cron.job j
    where j.jobname = 'archive-sync-run-log' and j.username = current_user
  loop
    v_call := regexp_match(v_job.command,
      '^\s*call\s+public\.archive_run_log_in_batches\(\s*interval\s+''([^'']+)''\s*,\s*([0-9]+)\s*,\s*''([a-z_]+)''\s*\)\s*;?\s*$',
      'i');
    v_block := regexp_match(v_job.command,
      'v_retention constant interval := ''([^'']+)'';\s+v_batch_size constant integer := ([0-9]+);\s+v_source constant text := ''([a-z_]+)'';');
    if v_call is not null then
      perform cron.schedule(v_job.jobname, v_job.schedule,
        sync_private.archive_run_log_job_command(v_call[1]::interval, v_call[2]::integer, v_call[3]));
    elsif v_block is null
      or v_job.command is distinct from
        sync_private.archive_run_log_job_command(v_block[1]::interval, v_block[2]::integer, v_block[3]) then
      raise exception 'the pg_cron job archive-sync-run-log runs a command this migration does not know: %', v_job.command
        using errcode = 'SR005',
          hint = 'Schedule it again with select cron.schedule(''archive-sync-run-log'', <schedule>, '
            || 'sync_private.archive_run_log_job_command(<retention>, <batch size>)), then migrate.';
    end if;
  end loop;
end
$$;

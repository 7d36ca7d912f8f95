-- Undoes 20261201000310: the daily archival job calls public.archive_run_log_in_batches again (the rollback of
-- 20261201000320, which runs first, has put the procedure back), with the retention, batch size and source of its
-- `do` block, and the job's schedule and active flag as they are. A command of any other shape stops the rollback.
do $$
declare
  v_job record;
  v_block text[];
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    return;
  end if;
  for v_job in
    select j.jobname, j.schedule, j.command from cron.job j
    where j.jobname = 'archive-sync-run-log' and j.username = current_user
  loop
    if v_job.command ~* '^\s*call\s+public\.archive_run_log_in_batches\(' then
      continue;
    end if;
    v_block := regexp_match(v_job.command,
      'v_retention constant interval := ''([^'']+)'';\s+v_batch_size constant integer := ([0-9]+);\s+v_source constant text := ''([a-z_]+)'';');
    if v_block is null
      or v_job.command is distinct from
        sync_private.archive_run_log_job_command(v_block[1]::interval, v_block[2]::integer, v_block[3]) then
      raise exception 'the pg_cron job archive-sync-run-log runs a command this rollback does not know: %', v_job.command
        using errcode = 'SR005';
    end if;
    perform cron.schedule(v_job.jobname, v_job.schedule,
      format('call public.archive_run_log_in_batches(interval %L, %s, %L)', v_block[1], v_block[2], v_block[3]));
  end loop;
end
$$;

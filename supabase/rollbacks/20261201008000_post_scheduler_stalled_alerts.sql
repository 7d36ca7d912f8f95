-- Undoes 20261201008000: the watchdog job back to 20261201007000's command (alerts as rows only), and
-- watch_scheduler_pulse gone.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule(
      'watch-sync-scheduler',
      '*/5 * * * *',
      $job$select count(*) from public.check_scheduler_pulse()$job$
    );
  end if;
end
$$;

drop function if exists public.watch_scheduler_pulse();

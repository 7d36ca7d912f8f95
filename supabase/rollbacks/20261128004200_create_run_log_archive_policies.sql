drop policy if exists "Coordinators and admins read their org's archived runs" on public.sync_run_log_archive;

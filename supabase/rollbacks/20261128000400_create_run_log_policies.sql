drop policy if exists "Coordinators and admins read their org's runs" on public.sync_run_log;
drop policy if exists "Coordinators and admins insert runs of their org" on public.sync_run_log;
drop policy if exists "Coordinators and admins update runs of their org" on public.sync_run_log;

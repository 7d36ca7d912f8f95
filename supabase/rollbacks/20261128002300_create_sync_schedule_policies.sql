drop policy if exists "Coordinators and admins read their org's schedules" on public.sync_schedules;

drop policy if exists "Coordinators and admins read their org's alerts" on public.sync_alerts;

drop policy if exists "Coordinators and admins read their org's integration health" on public.integration_health;

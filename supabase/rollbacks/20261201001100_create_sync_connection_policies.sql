-- Undoes 20261201001100.
drop policy if exists "Coordinators and admins read their org's connections" on public.sync_connections;

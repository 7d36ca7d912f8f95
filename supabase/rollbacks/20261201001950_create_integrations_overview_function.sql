-- Undoes 20261201001950.
drop function if exists public.get_integrations_overview(uuid);

drop function if exists public.get_integration_health(uuid);

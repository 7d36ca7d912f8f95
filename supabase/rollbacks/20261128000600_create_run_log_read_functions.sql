drop function if exists public.get_last_run_per_integration(uuid);
drop function if exists public.get_run_history(uuid, text, integer);

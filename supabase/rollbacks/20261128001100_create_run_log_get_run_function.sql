drop function if exists public.get_run(uuid);

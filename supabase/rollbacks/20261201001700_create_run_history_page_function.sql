-- Undoes 20261201001700.
drop function if exists public.get_run_history_page(uuid, text, integer, text, text, timestamptz, uuid);

-- Undoes 20261202003000.
drop function if exists public.run_alert(uuid, uuid, text);

drop function if exists public.insert_run_log(uuid, text, text, timestamptz, text);
drop function if exists public.update_run_log_status(uuid, text, integer, integer, text);

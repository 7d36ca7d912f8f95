drop function if exists public.get_sync_schedules(uuid);
drop function if exists public.delete_sync_schedule(uuid, text);
drop function if exists public.set_sync_schedule_enabled(uuid, text, boolean);
drop function if exists public.upsert_sync_schedule(uuid, text, text, text, boolean, integer, timestamptz);

drop table if exists public.sync_schedules;
drop function if exists sync_private.validate_sync_schedule();

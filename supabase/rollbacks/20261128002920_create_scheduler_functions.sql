drop function if exists public.record_missed_periods(uuid, timestamptz[], integer);
drop function if exists public.get_schedules_for_tick();

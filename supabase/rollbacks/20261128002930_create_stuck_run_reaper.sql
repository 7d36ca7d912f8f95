drop function if exists public.reap_stuck_runs(timestamptz, integer);

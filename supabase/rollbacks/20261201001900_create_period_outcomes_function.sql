-- Undoes 20261201001900.
drop function if exists public.get_period_outcomes(uuid, text, timestamptz[]);

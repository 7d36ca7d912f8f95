drop function if exists public.record_integration_sync_outcome(uuid, text, timestamptz, boolean, text);
drop function if exists public.enter_integration_passive_mode(uuid, text, timestamptz, timestamptz, text, uuid[]);
drop function if exists public.record_integration_health_check(uuid, text, timestamptz, boolean, integer, text, timestamptz);
drop function if exists public.claim_due_integration_health_checks(timestamptz, integer, integer);
drop function if exists public.register_integration_health(uuid, text, timestamptz);

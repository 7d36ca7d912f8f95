drop table if exists public.integration_health;

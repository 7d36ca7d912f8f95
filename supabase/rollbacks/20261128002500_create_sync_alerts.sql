drop table if exists public.sync_alerts;

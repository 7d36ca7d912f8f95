drop function if exists public.get_sync_alerts(uuid, integer);
drop function if exists public.record_sync_alert(uuid, text, text, uuid, jsonb, text);

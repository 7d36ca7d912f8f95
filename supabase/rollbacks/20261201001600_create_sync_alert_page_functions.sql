-- Undoes 20261201001600.
drop function if exists public.get_sync_alerts_page(uuid, integer, timestamptz, uuid);
drop function if exists public.acknowledge_sync_alert(uuid, uuid, uuid);

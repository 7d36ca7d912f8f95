-- Undoes 20261201001200.
drop function if exists public.get_sync_connections(uuid);
drop function if exists public.get_connection_credentials(uuid, text);
drop function if exists public.delete_sync_connection(uuid, text);
drop function if exists public.set_sync_connection_enabled(uuid, text, boolean);
drop function if exists public.upsert_sync_connection(uuid, text, jsonb, jsonb, boolean);

-- Undoes 20261201001000: the view, then the table (its grants, constraints and RLS go with it).
drop view if exists public.sync_connection_settings;
drop table if exists public.sync_connections;

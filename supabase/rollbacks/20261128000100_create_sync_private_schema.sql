drop function if exists sync_private.uuid_or_null(text);
drop schema if exists sync_private;

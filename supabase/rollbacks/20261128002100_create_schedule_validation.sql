drop function if exists sync_private.cron_expression_error(text);
drop function if exists sync_private.time_zone_error(text);

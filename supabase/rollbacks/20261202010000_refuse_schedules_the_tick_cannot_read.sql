-- Undoes 20261202010000: cron_expression_error as 20261201000200 wrote it, time_zone_error as 20261128002100 did.
create or replace function sync_private.cron_expression_error(p_cron text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_names constant text[] := array['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  v_min constant integer[] := array[0, 0, 1, 1, 0];
  v_max constant integer[] := array[59, 23, 31, 12, 7];
  v_months constant text[] := array['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  v_days constant text[] := array['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  v_fields text[];
  v_field text;
  v_item text;
  v_match text[];
  v_number text;
begin
  if p_cron is null or btrim(p_cron) = '' then
    return 'cron expression is required';
  end if;
  if char_length(p_cron) > 200 then
    return 'cron expression must be at most 200 characters';
  end if;
  if lower(btrim(p_cron)) in ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly') then
    return null;
  end if;
  v_fields := regexp_split_to_array(btrim(p_cron), '\s+');
  if cardinality(v_fields) <> 5 then
    return format('cron expression %s has %s fields; it needs 5: minute hour day-of-month month day-of-week',
      pg_catalog.quote_literal(p_cron), cardinality(v_fields));
  end if;

  for i in 1..5 loop
    v_field := upper(v_fields[i]);
    if i = 4 then
      for j in 1..12 loop
        v_field := regexp_replace(v_field, '\m' || v_months[j] || '\M', j::text, 'g');
      end loop;
    elsif i = 5 then
      if left(v_field, 1) = '+' then
        v_field := substr(v_field, 2);
      end if;
      for j in 1..7 loop
        v_field := regexp_replace(v_field, '\m' || v_days[j] || '(?=$|[-,/#L])', (j - 1)::text, 'g');
      end loop;
    end if;

    foreach v_item in array string_to_array(v_field, ',') loop
      if i = 3 and v_item ~ '^(L|LW|[0-9]{1,2}W)$' then
        v_number := substring(v_item from '^([0-9]+)');
      elsif i = 5 and v_item ~ '^[0-9]#([1-5]|L)$|^[0-9]L$' then
        v_number := substring(v_item from '^([0-9])');
      else
        v_match := regexp_match(v_item, '^(\*|\?|([0-9]{1,2})(-([0-9]{1,2}))?)(/([0-9]{1,2}))?$');
        if v_match is null then
          return format('cron expression %s: %s field %s is not valid',
            pg_catalog.quote_literal(p_cron), v_names[i], pg_catalog.quote_literal(v_fields[i]));
        end if;
        if v_match[6] is not null and v_match[6]::integer = 0 then
          return format('cron expression %s: %s field has a step of 0', pg_catalog.quote_literal(p_cron), v_names[i]);
        end if;
        if v_match[4] is not null and (v_match[4]::integer < v_min[i] or v_match[4]::integer > v_max[i]
          or v_match[4]::integer < v_match[2]::integer) then
          return format('cron expression %s: %s range %s is outside %s-%s or reversed',
            pg_catalog.quote_literal(p_cron), v_names[i], pg_catalog.quote_literal(v_item), v_min[i], v_max[i]);
        end if;
        v_number := v_match[2];
      end if;
      if v_number is not null and (v_number::integer < v_min[i] or v_number::integer > v_max[i]) then
        return format('cron expression %s: %s value %s is outside %s-%s',
          pg_catalog.quote_literal(p_cron), v_names[i], v_number, v_min[i], v_max[i]);
      end if;
    end loop;
  end loop;
  return null;
end
$$;

create or replace function sync_private.time_zone_error(p_time_zone text)
returns text
language sql
stable
set search_path = ''
as $$
  select case
    when p_time_zone is null or btrim(p_time_zone) = '' then
      'time zone is required: an IANA name such as Europe/Oslo'
    when not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = p_time_zone) then
      format('unknown time zone %s: use an IANA name such as Europe/Oslo', pg_catalog.quote_literal(left(p_time_zone, 64)))
  end
$$;

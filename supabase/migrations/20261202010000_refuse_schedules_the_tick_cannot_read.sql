-- Schedules the database accepts are schedules the tick can read. A review found expressions and a time zone that
-- upsert_sync_schedule stored but croner (the tick's parser) or the functions' Intl refuse: every tick then logged an
-- error for that schedule and started nothing, and nothing alerted (the route refuses them, a SQL caller did not).
--   - a step after a single number (`5/10`): croner wants `*/10` or a range (`5-59/10`);
--   - a step longer than its field (`*/61` minutes, `*/25` hours, `*/32` days, `*/13` months, `*/8` weekdays);
--   - an expression that never fires (`0 0 30 2 *`, `0 0 31 4 *`): days none of its months has;
--   - the time zone `Factory` (in pg_timezone_names, "no zone"; Node's Intl refuses it).
-- test/db/schedule-validation.test.ts compares the database's answer with the tick's over a corpus of expressions
-- and every zone PostgreSQL knows.
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
  v_step integer;
  v_from integer;
  v_to integer;
  v_dom integer[] := '{}'::integer[];
  v_months_used integer[] := '{}'::integer[];
  v_day_rule boolean := false;
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
        v_day_rule := true;
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
        -- What croner (the tick's parser) refuses: a step after a single number, and a step longer than the field.
        if v_match[6] is not null and v_match[2] is not null and v_match[4] is null then
          return format('cron expression %s: %s step %s needs * or a range before it (*/%s or %s-%s/%s)',
            pg_catalog.quote_literal(p_cron), v_names[i], pg_catalog.quote_literal(v_item), v_match[6], v_match[2],
            v_max[i], v_match[6]);
        end if;
        -- croner's field sizes: 60 minutes, 24 hours, 31 days, 12 months, 7 weekdays (0-7 names Sunday twice).
        v_step := (array[60, 24, 31, 12, 7])[i];
        if v_match[6] is not null and v_match[6]::integer > v_step then
          return format('cron expression %s: %s step %s is larger than the field (at most %s)',
            pg_catalog.quote_literal(p_cron), v_names[i], v_match[6], v_step);
        end if;
        if i in (3, 4) and v_match[1] not in ('*', '?') then
          v_from := v_match[2]::integer;
          v_to := coalesce(v_match[4]::integer, case when v_match[6] is null then v_from else v_max[i] end);
          v_step := coalesce(v_match[6]::integer, 1);
          if i = 3 then
            v_dom := v_dom || array(select generate_series(v_from, v_to, v_step));
          else
            v_months_used := v_months_used || array(select generate_series(v_from, v_to, v_step));
          end if;
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

  -- Never fires: days of the month that none of its months has (30 or 31 February, 31 April), where the day of the
  -- week does not also choose days ('*': with both restricted, cron fires on either). The tick would find no period.
  if not v_day_rule and cardinality(v_dom) > 0 and upper(v_fields[5]) in ('*', '?') then
    if cardinality(v_months_used) = 0 then
      v_months_used := array[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    end if;
    if not exists (
      select 1 from unnest(v_dom) d, unnest(v_months_used) m
      where d <= (array[31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[m]
    ) then
      return format('cron expression %s never fires: none of its months has that day',
        pg_catalog.quote_literal(p_cron));
    end if;
  end if;
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
    when p_time_zone = 'Factory'
      or not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = p_time_zone) then
      format('unknown time zone %s: use an IANA name such as Europe/Oslo', pg_catalog.quote_literal(left(p_time_zone, 64)))
  end
$$;

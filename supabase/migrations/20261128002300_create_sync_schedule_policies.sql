-- Org isolation for schedules, as for the run log: coordinators and admins read their own org's schedules.
-- authenticated holds no write grant; writes go through the service-role functions.
drop policy if exists "Coordinators and admins read their org's schedules" on public.sync_schedules;
create policy "Coordinators and admins read their org's schedules"
  on public.sync_schedules for select to authenticated
  using (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );

-- Org isolation of the health table, as for the run log: a user reads only rows of the org in their JWT's org_id
-- claim, and only as coordinator or admin. A missing or malformed claim matches nothing (no error).
-- authenticated holds no write grant: the monitor writes through the service-role functions.
drop policy if exists "Coordinators and admins read their org's integration health" on public.integration_health;
create policy "Coordinators and admins read their org's integration health"
  on public.integration_health for select to authenticated
  using (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );

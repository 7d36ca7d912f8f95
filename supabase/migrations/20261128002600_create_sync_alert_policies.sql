-- Org isolation for alerts, as for the run log: coordinators and admins read their own org's alerts.
drop policy if exists "Coordinators and admins read their org's alerts" on public.sync_alerts;
create policy "Coordinators and admins read their org's alerts"
  on public.sync_alerts for select to authenticated
  using (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );

-- Org isolation for connections, as for the run log: coordinators and admins read their own org's connections (and
-- the column grant keeps the Vault secret id from them even then). authenticated holds no write grant; writes go
-- through the service-role functions.
drop policy if exists "Coordinators and admins read their org's connections" on public.sync_connections;
create policy "Coordinators and admins read their org's connections"
  on public.sync_connections for select to authenticated
  using (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );

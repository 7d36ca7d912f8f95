-- Org isolation: a user sees and touches only rows of the org in their JWT's org_id claim; reading also needs the
-- app role claim user_role = coordinator or admin. A missing or malformed claim matches nothing (no error).
-- auth.jwt() is wrapped in (select ...) so it is computed once per statement, and org_id leads every index.
-- authenticated holds no INSERT/UPDATE grant (writes go through the Edge Function with the service role); the
-- INSERT and UPDATE policies are the second line of defence should a grant ever be added.
drop policy if exists "Coordinators and admins read their org's runs" on public.sync_run_log;
create policy "Coordinators and admins read their org's runs"
  on public.sync_run_log for select to authenticated
  using (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );

drop policy if exists "Coordinators and admins insert runs of their org" on public.sync_run_log;
create policy "Coordinators and admins insert runs of their org"
  on public.sync_run_log for insert to authenticated
  with check (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );

drop policy if exists "Coordinators and admins update runs of their org" on public.sync_run_log;
create policy "Coordinators and admins update runs of their org"
  on public.sync_run_log for update to authenticated
  using (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  )
  with check (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );

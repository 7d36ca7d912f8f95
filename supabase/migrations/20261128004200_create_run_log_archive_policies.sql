-- Org isolation of the archive, as on the hot table: coordinators and admins of the org in the JWT read its
-- archived runs; a missing or malformed claim matches nothing. There is no INSERT, UPDATE or DELETE policy:
-- with RLS enabled, no client can write the archive even if a grant were added by mistake.
drop policy if exists "Coordinators and admins read their org's archived runs" on public.sync_run_log_archive;
create policy "Coordinators and admins read their org's archived runs"
  on public.sync_run_log_archive for select to authenticated
  using (
    org_id = (select sync_private.uuid_or_null((select auth.jwt()) ->> 'org_id'))
    and (select (auth.jwt()) ->> 'user_role') in ('coordinator', 'admin')
  );

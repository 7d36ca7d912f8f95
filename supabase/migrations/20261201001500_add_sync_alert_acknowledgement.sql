-- Alerts can be acknowledged: acknowledged_at (when) and acknowledged_by (the user's id, the JWT's sub) are set
-- once, by acknowledge_sync_alert (20261201001600); an acknowledged alert no longer counts as open. The service role
-- may update only these two columns (a column grant); the table has no UPDATE policy, so no client can.
-- Indexes: the open alerts of an org per integration (the overview's count reads only this partial index), and
-- (org_id, created_at desc, id desc) for keyset paging newest first; it replaces (org_id, created_at desc), which
-- it serves as well.
alter table public.sync_alerts add column if not exists acknowledged_at timestamptz;
alter table public.sync_alerts add column if not exists acknowledged_by uuid;

do $$
begin
  if not exists (
    select 1 from pg_catalog.pg_constraint
    where conname = 'sync_alerts_acknowledged_by_needs_at' and conrelid = 'public.sync_alerts'::regclass
  ) then
    alter table public.sync_alerts add constraint sync_alerts_acknowledged_by_needs_at
      check (acknowledged_by is null or acknowledged_at is not null);
  end if;
end
$$;

grant update (acknowledged_at, acknowledged_by) on table public.sync_alerts to service_role;

create index if not exists sync_alerts_open_idx
  on public.sync_alerts (org_id, integration_type) where acknowledged_at is null;

create index if not exists sync_alerts_org_created_id_idx
  on public.sync_alerts (org_id, created_at desc, id desc);
drop index if exists public.sync_alerts_org_created_idx;

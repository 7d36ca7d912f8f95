-- get_run: one run by id, as the caller. security invoker: RLS applies, so a coordinator of org A asking for a
-- run of org B gets no row (the Edge Function answers 404, the same as for an unknown id).
-- Why: the Edge Function checks that a run belongs to the caller's org before it cancels it with the service role,
-- and returns the run it just started.
create or replace function public.get_run(p_run_id uuid)
returns setof public.sync_run_log
language sql
stable
security invoker
set search_path = ''
as $$
  select r.*
  from public.sync_run_log r
  where r.id = p_run_id
$$;

comment on function public.get_run(uuid) is
  'One run by id (zero or one row). Runs as the caller: RLS applies, another org''s run is not found.';
revoke all on function public.get_run(uuid) from public, anon, authenticated;
grant execute on function public.get_run(uuid) to authenticated, service_role;

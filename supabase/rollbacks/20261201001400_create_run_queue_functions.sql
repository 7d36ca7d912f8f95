-- Undoes 20261201001400. Queued runs stay in the run log (cancel them first if nothing will claim them).
drop function if exists public.claim_pending_runs(integer);
drop function if exists public.queue_manual_run(uuid, text);
drop index if exists public.sync_run_log_pending_idx;

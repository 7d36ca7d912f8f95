-- Undoes 20261202009000: the jobs it registered stay (they are the migrations' own); only the function goes.
drop function if exists sync_private.schedule_missing_jobs();

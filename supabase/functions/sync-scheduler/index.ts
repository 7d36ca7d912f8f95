// The sync-scheduler Edge Function. pg_cron calls POST /tick every minute (migration 20261128002940); deploy with
// `supabase functions deploy sync-scheduler --no-verify-jwt` (the function checks its callers itself: a secret key in
// the apikey header, or a service_role JWT).
// Routes and settings: app.ts, handler.ts and docs/scheduler.md.
import { handler } from './handler.ts';

Deno.serve(handler);

// The sync-run-log Edge Function (deploy: `supabase functions deploy sync-run-log --no-verify-jwt`; the function
// verifies JWTs itself). Routes and rules: app.ts and docs/edge-functions.md.
import { handler } from './handler.ts';

Deno.serve(handler);

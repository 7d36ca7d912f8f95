// The sync-run-log handler wired to its environment. index.ts serves it; the local functions router imports it.
//   SUPABASE_DB_URL (set by Supabase) or DATABASE_URL (local): the database, used as the caller (RLS) or the service role
//   SUPABASE_JWT_SECRET or JWT_SECRET: the HS256 secret of the project's JWTs. Unset: Supabase CLI's local secret,
//     unless SUPABASE_DB_URL says this is a hosted project (then it refuses to start: a public secret is no secret).
import { jwtSecretFromEnv } from '../_shared/auth.ts';
import { connectDatabase } from '../_shared/database.ts';
import { jsonLogger } from '../_shared/log.ts';
import { createSyncRunLogHandler } from './app.ts';

const env = Deno.env.toObject();

export const handler: (request: Request) => Promise<Response> = createSyncRunLogHandler({
  jwtSecret: jwtSecretFromEnv(env),
  db: connectDatabase(env),
  log: jsonLogger(),
});

export default handler;

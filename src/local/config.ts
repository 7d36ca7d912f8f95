// The local stack's settings, from the environment, with defaults that work on a fresh machine.
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535)
    throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
  return value;
}

export function loadConfig() {
  const functionsPort = port('FUNCTIONS_PORT', 54_321);
  return {
    /** Any PostgreSQL 15 (a Supabase project's included); unset: the embedded server. */
    databaseUrl: process.env.DATABASE_URL || undefined,
    /** Port of the embedded server (Supabase CLI's local database port). */
    dbPort: port('DB_PORT', 54322),
    /** Where the embedded server keeps its data. */
    dataDir: path.resolve(ROOT, process.env.DATA_DIR || '.data'),
    /** Port of the local Edge Functions host (Supabase CLI's local API port). */
    functionsPort,
    /** The local stand-in for SUPABASE_URL: functions at /functions/v1, the JWKS at /auth/v1/.well-known/jwks.json. */
    supabaseUrl: `http://127.0.0.1:${functionsPort}`,
  };
}

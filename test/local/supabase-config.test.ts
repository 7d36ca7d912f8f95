// supabase/config.toml matches the repository: PostgreSQL 15, and every Edge Function declared with the gateway's
// JWT check off (each function verifies tokens itself; a missing entry would deploy it with verify_jwt = true).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const config = readFileSync('supabase/config.toml', 'utf8');

it('declares PostgreSQL 15', () => {
  expect(config).toMatch(/\[db\][^[]*major_version = 15/);
});

it('declares verify_jwt = false for every function directory', () => {
  const functions = readdirSync('supabase/functions').filter(
    (name) => !name.startsWith('_') && statSync(path.join('supabase/functions', name)).isDirectory(),
  );
  expect(functions.length).toBeGreaterThanOrEqual(2);
  for (const name of functions) {
    expect(config, name).toMatch(new RegExp(`\\[functions\\.${name}\\]\\s*\\nverify_jwt = false`));
  }
});

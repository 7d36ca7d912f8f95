// Which secret the functions verify JWTs with: the project's, and never the public local default on a hosted project.
import { describe, expect, it } from 'vitest';
import { jwtSecretFromEnv, LOCAL_JWT_SECRET } from '../../supabase/functions/_shared/auth.ts';

describe('jwtSecretFromEnv', () => {
  it('takes SUPABASE_JWT_SECRET, then JWT_SECRET', () => {
    expect(jwtSecretFromEnv({ SUPABASE_JWT_SECRET: 'a'.repeat(40), JWT_SECRET: 'b'.repeat(40) })).toBe('a'.repeat(40));
    expect(jwtSecretFromEnv({ JWT_SECRET: 'b'.repeat(40) })).toBe('b'.repeat(40));
  });

  it("falls back to Supabase CLI's local secret locally", () => {
    expect(jwtSecretFromEnv({ DATABASE_URL: 'postgres://localhost/x' })).toBe(LOCAL_JWT_SECRET);
  });

  it('refuses the public local secret on a hosted project (SUPABASE_DB_URL set)', () => {
    expect(() => jwtSecretFromEnv({ SUPABASE_DB_URL: 'postgres://db.example/postgres' })).toThrow(
      /local default must not guard a hosted project/,
    );
  });
});

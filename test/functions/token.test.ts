// `npm run token`: the tokens it prints verify with the functions' own check, with the claims asked for.
import { describe, expect, it } from 'vitest';
import { tokenFromArgs } from '../../src/local/token.ts';
import { callerFromClaims, LOCAL_JWT_SECRET, verifyJwt } from '../../supabase/functions/_shared/auth.ts';

const ORG = '11111111-1111-4111-8111-111111111111';

describe('npm run token', () => {
  it('a coordinator of an org', async () => {
    const token = await tokenFromArgs(['--org', ORG, '--role', 'coordinator'], LOCAL_JWT_SECRET);
    const claims = await verifyJwt(token, { secret: LOCAL_JWT_SECRET });
    expect(claims).toMatchObject({
      role: 'authenticated',
      aud: 'authenticated',
      org_id: ORG,
      user_role: 'coordinator',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect(callerFromClaims(claims)).toMatchObject({ kind: 'user', orgId: ORG, userRole: 'coordinator' });
  });

  it('the service role, with a chosen lifetime', async () => {
    const token = await tokenFromArgs(['--role', 'service_role', '--expires-in', '60'], LOCAL_JWT_SECRET);
    const claims = await verifyJwt(token, { secret: LOCAL_JWT_SECRET });
    expect(claims.role).toBe('service_role');
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
  });

  it.each([
    [['--role', 'coordinator'], /--org <uuid> is required/],
    [['--org', 'nope', '--role', 'admin'], /--org <uuid> is required/],
    [['--org', ORG, '--role', 'Admin!'], /--role must be/],
    [['--role', 'service_role', '--org', ORG], /has no org/],
    [['--org', ORG, '--expires-in', '0'], /--expires-in/],
    [['--org', ORG, '--sub', 'x'], /--sub must be a uuid/],
    [['--bogus'], /Unknown option/],
  ])('refuses %j', async (args, message) => {
    await expect(tokenFromArgs(args, LOCAL_JWT_SECRET)).rejects.toThrow(message);
  });
});

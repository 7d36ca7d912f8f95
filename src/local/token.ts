// `npm run token -- --org <uuid> --role coordinator` prints a signed JWT of a user of that org (user_role claim);
// `npm run token -- --role service_role` prints a service role token. Signed with SUPABASE_JWT_SECRET (default:
// Supabase CLI's local secret), valid for --expires-in seconds (default 3600).
import { parseArgs } from 'node:util';
import { LOCAL_JWT_SECRET, mintServiceToken, mintUserToken } from '../../supabase/functions/_shared/auth.ts';
import { UUID_PATTERN } from '../../supabase/functions/_shared/validation.ts';

const USAGE =
  'usage: npm run token -- --role <coordinator|admin|...|service_role> [--org <uuid>] [--sub <uuid>] [--expires-in <seconds>]';

export async function tokenFromArgs(args: string[], secret: string): Promise<string> {
  const { values } = parseArgs({
    args,
    options: {
      org: { type: 'string' },
      role: { type: 'string', default: 'coordinator' },
      sub: { type: 'string' },
      'expires-in': { type: 'string', default: '3600' },
    },
    strict: true,
  });
  const expiresIn = Number(values['expires-in']);
  if (!Number.isInteger(expiresIn) || expiresIn < 1)
    throw new Error(`--expires-in must be a positive number of seconds\n${USAGE}`);
  if (values.role === 'service_role') {
    if (values.org) throw new Error(`a service role token has no org\n${USAGE}`);
    return mintServiceToken({ secret, expiresIn });
  }
  if (!values.org || !UUID_PATTERN.test(values.org))
    throw new Error(`--org <uuid> is required for a user token\n${USAGE}`);
  if (!values.role || !/^[a-z_]{1,40}$/.test(values.role))
    throw new Error(`--role must be a lowercase role name\n${USAGE}`);
  if (values.sub !== undefined && !UUID_PATTERN.test(values.sub)) throw new Error(`--sub must be a uuid\n${USAGE}`);
  return mintUserToken(
    { orgId: values.org.toLowerCase(), userRole: values.role, sub: values.sub },
    { secret, expiresIn },
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  tokenFromArgs(process.argv.slice(2), process.env.SUPABASE_JWT_SECRET || LOCAL_JWT_SECRET)
    .then((token) => console.log(token))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
}

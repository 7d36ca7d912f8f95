// `npm run token -- --org <uuid> --role coordinator` prints an access token of a user of that org (user_role
// claim), valid for --expires-in seconds (default 3600), signed as the local stack signs:
//   HS256 (default): with SUPABASE_JWT_SECRET, or Supabase CLI's local secret;
//   ES256 (AUTH_SIGNING=es256): with the key `npm start` keeps in DATA_DIR (made there if missing), `kid`, `iss`
//     and `aud` as Supabase Auth sets them.
// `npm run token -- --role service_role` prints what a service caller sends: a service_role JWT (HS256), or the
// local secret key `sb_secret_...` (ES256), which goes in the `apikey` header.
import { parseArgs } from 'node:util';
import { UUID_PATTERN } from '../../supabase/functions/_shared/validation.ts';
import {
  authSigningFromEnv,
  type LocalAuth,
  loadLocalAuth,
  localUserSub,
  mintServiceToken,
  mintUserToken,
} from './auth-keys.ts';
import { loadConfig } from './config.ts';

const USAGE =
  'usage: npm run token -- --role <coordinator|admin|...|service_role> [--org <uuid>] [--sub <uuid>] [--expires-in <seconds>]';

export const HELP = `${USAGE}

Prints an access token the local stack accepts (npm start must use the same AUTH_SIGNING and DATA_DIR):
  --role <role>          the user_role claim (default coordinator); service_role prints a service caller's
                         credential instead (a service_role JWT, or with AUTH_SIGNING=es256 the local secret key,
                         which goes in the apikey header)
  --org <uuid>           the org_id claim; required for a user token
  --sub <uuid>           the user's id (default: one per role, so a coordinator and an admin are two users)
  --expires-in <seconds> default 3600
  --help                 this text

e.g. TOKEN=$(npm run -s token -- --org 6f1c1f5e-8a7b-4c0e-9d2a-3b4c5d6e7f80 --role admin)`;

export async function tokenFromArgs(args: string[], auth: LocalAuth): Promise<string> {
  let values: { org?: string; role?: string; sub?: string; 'expires-in'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        org: { type: 'string' },
        role: { type: 'string', default: 'coordinator' },
        sub: { type: 'string' },
        'expires-in': { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  if (values.help) return HELP;
  const expiresIn = Number(values['expires-in']);
  if (!Number.isInteger(expiresIn) || expiresIn < 1)
    throw new Error(`--expires-in must be a positive number of seconds\n${USAGE}`);
  const signer = auth.key ? { key: auth.key, expiresIn } : { secret: auth.jwtSecret ?? undefined, expiresIn };
  if (values.role === 'service_role') {
    if (values.org) throw new Error(`a service role token has no org\n${USAGE}`);
    if (auth.secretKey) return auth.secretKey;
    return mintServiceToken(signer);
  }
  if (!values.org) throw new Error(`--org <uuid> is required for a user token\n${USAGE}`);
  if (!UUID_PATTERN.test(values.org))
    throw new Error(`--org must be a uuid, got ${JSON.stringify(values.org)}\n${USAGE}`);
  if (!values.role || !/^[a-z_]{1,40}$/.test(values.role))
    throw new Error(`--role must be a lowercase role name\n${USAGE}`);
  if (values.sub !== undefined && !UUID_PATTERN.test(values.sub)) throw new Error(`--sub must be a uuid\n${USAGE}`);
  return mintUserToken(
    { orgId: values.org.toLowerCase(), userRole: values.role, sub: values.sub ?? localUserSub(values.role) },
    signer,
  );
}

/** The local Auth `npm start` uses, from the same environment (AUTH_SIGNING, DATA_DIR, FUNCTIONS_PORT). */
export function localAuthFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<LocalAuth> {
  const config = loadConfig();
  return loadLocalAuth({
    signing: authSigningFromEnv(env),
    dataDir: config.dataDir,
    supabaseUrl: config.supabaseUrl,
    jwtSecret: env.SUPABASE_JWT_SECRET,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  localAuthFromEnv()
    .then((auth) => tokenFromArgs(process.argv.slice(2), auth))
    .then((token) => console.log(token))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
}

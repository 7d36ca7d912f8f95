// What an org's connection holds per integration type: the credentials (kept in Vault, handed to the adapter per
// run) and the non-secret settings (sync_connections.settings). One strict zod schema each (unknown fields are
// refused): the adapters check what a run is given with them, and the HTTP routes check the bodies of
// `PUT /integrations/{type}/connection` with the same ones. No message of these schemas repeats a value.
// What belongs where: per deployment (environment) the vendor's base URL and tuning; per org the credentials, and the
// settings that differ by org (the Xledger company, the Dynamics environment and tenant, the Bufdir organisation).
import { z } from 'zod';
import { valueAt } from '../validation.ts';
import { IntegrationError } from './integration.ts';
import type { IntegrationType } from './integration-types.ts';

/** A token, key, client id or secret: printable ASCII without spaces (a pasted newline is refused, not kept). */
function credential() {
  return z.string().regex(/^[\x21-\x7e]{1,4096}$/, 'must be 1 to 4096 printable characters without spaces');
}

// Xledger ----------------------------------------------------------------------------------------------------------

export const xledgerCredentials = z.strictObject({ apiToken: credential() });

export const xledgerSettings = z.strictObject({
  /** The Xledger entity (company) dbId the token reads; omitted: the token's own entity. */
  companyId: z.number().int().min(1).max(2_147_483_647).optional(),
});

// Microsoft Dynamics 365 --------------------------------------------------------------------------------------------

/** The hosts of Dataverse environments (commercial, US government, China): the only ones an org may name. */
export const DYNAMICS_HOST_SUFFIXES = ['.dynamics.com', '.microsoftdynamics.us', '.appsplatform.us', '.dynamics.cn'];

/** https://<environment>.<region>.dynamics.com: https, a Dataverse host, no port, path, query or user. */
export function isDynamicsEnvironmentUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    url.protocol === 'https:' &&
    url.port === '' &&
    url.username === '' &&
    url.password === '' &&
    (url.pathname === '/' || url.pathname === '') &&
    url.search === '' &&
    url.hash === '' &&
    // An empty query or fragment ("/?", "/#") leaves search and hash empty, yet every path appended would follow it.
    !/[?#]/.test(value) &&
    DYNAMICS_HOST_SUFFIXES.some((suffix) => url.hostname.endsWith(suffix) && url.hostname.length > suffix.length)
  );
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export const dynamicsCredentials = z.strictObject({
  clientId: credential(),
  clientSecret: credential(),
});

export const dynamicsSettings = z.strictObject({
  /**
   * The org's Dataverse environment, e.g. https://contoso.crm4.dynamics.com; omitted: the deployment's
   * DYNAMICS_BASE_URL. Only Dataverse hosts: the server sends the org's bearer token there.
   */
  environmentUrl: z
    .string()
    .max(2048)
    .refine(isDynamicsEnvironmentUrl, {
      message: `must be https://<environment>.crm<N>.dynamics.com (https, a host ending in ${DYNAMICS_HOST_SUFFIXES.join(', ')}, no path)`,
    })
    .optional(),
  /**
   * The Microsoft Entra tenant (a GUID or a domain such as contoso.onmicrosoft.com): the token comes from
   * <DYNAMICS_AUTHORITY_URL>/<tenantId>/oauth2/v2.0/token. Omitted: DYNAMICS_TOKEN_URL, else <base>/oauth2/token.
   */
  tenantId: z
    .string()
    .refine((value) => GUID.test(value) || DOMAIN.test(value), {
      message: 'must be the tenant id (a GUID) or its domain, e.g. contoso.onmicrosoft.com',
    })
    .optional(),
});

// Bufdir -------------------------------------------------------------------------------------------------------------

/** A Norwegian organisation number: 9 digits, the last a modulus 11 check digit (weights 3 2 7 6 5 4 3 2). */
export function isOrganisationNumber(value: string): boolean {
  if (!/^\d{9}$/.test(value)) return false;
  const weights = [3, 2, 7, 6, 5, 4, 3, 2];
  const sum = weights.reduce((total, weight, i) => total + weight * Number(value[i]), 0);
  const check = (11 - (sum % 11)) % 11;
  return check !== 10 && check === Number(value[8]);
}

export const bufdirCredentials = z.strictObject({ apiKey: credential() });

export const bufdirSettings = z.strictObject({
  /** The organisation whose activities are exported (organisasjonsnummer); omitted: the key's organisation. */
  organisationNumber: z
    .string()
    .refine(isOrganisationNumber, { message: 'must be a Norwegian organisation number (9 digits, valid check digit)' })
    .optional(),
});

// By integration type -----------------------------------------------------------------------------------------------

export interface ConnectionSchemas<C extends z.ZodType = z.ZodType, S extends z.ZodType = z.ZodType> {
  credentials: C;
  settings: S;
}

export const CONNECTION_SCHEMAS = {
  xledger: { credentials: xledgerCredentials, settings: xledgerSettings },
  dynamics: { credentials: dynamicsCredentials, settings: dynamicsSettings },
  bufdir: { credentials: bufdirCredentials, settings: bufdirSettings },
} as const satisfies Record<IntegrationType, ConnectionSchemas>;

export type XledgerCredentials = z.output<typeof xledgerCredentials>;
export type XledgerSettings = z.output<typeof xledgerSettings>;
export type DynamicsCredentials = z.output<typeof dynamicsCredentials>;
export type DynamicsSettings = z.output<typeof dynamicsSettings>;
export type BufdirCredentials = z.output<typeof bufdirCredentials>;
export type BufdirSettings = z.output<typeof bufdirSettings>;

/** The schemas of an integration type, or null for a type no adapter knows. */
export function connectionSchemasFor(integrationType: string): ConnectionSchemas | null {
  return Object.hasOwn(CONNECTION_SCHEMAS, integrationType)
    ? CONNECTION_SCHEMAS[integrationType as IntegrationType]
    : null;
}

/**
 * A run's credentials and settings checked with the adapter's schemas. Anything that does not fit is the org's
 * stored configuration, not the vendor: `not_configured`, with a message naming the fields and what is wrong with
 * them, never their values, e.g. `xledger: the connection's credentials are not valid (apiToken is missing): set
 * them again`.
 */
export function parseConnection<C extends z.ZodType, S extends z.ZodType>(
  integration: string,
  schemas: ConnectionSchemas<C, S>,
  context: { credentials: unknown; settings: unknown },
): { credentials: z.output<C>; settings: z.output<S> } {
  const credentials = schemas.credentials.safeParse(context.credentials);
  if (!credentials.success) throw invalidConnection(integration, 'credentials', credentials.error, context.credentials);
  const settings = schemas.settings.safeParse(context.settings ?? {});
  if (!settings.success) throw invalidConnection(integration, 'settings', settings.error, context.settings);
  return { credentials: credentials.data, settings: settings.data };
}

function invalidConnection(
  integration: string,
  part: 'credentials' | 'settings',
  error: z.ZodError,
  input: unknown,
): IntegrationError {
  const problems = error.issues.slice(0, 3).map((issue) => describeIssue(issue, input));
  return new IntegrationError(
    'not_configured',
    `${integration}: the connection's ${part} are not valid (${problems.join('; ')}): set them again`,
  );
}

/** One problem in words of our own (zod's messages are ours or value-free, but the field names are what we know). */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = issue.path.map(String).join('.');
  const field = path || 'the value';
  if (issue.code === 'unrecognized_keys') return `${field === 'the value' ? 'it' : field} has unknown fields`;
  if (issue.code === 'invalid_type') {
    return valueAt(input, issue.path) === undefined ? `${field} is missing` : `${field} must be a ${issue.expected}`;
  }
  if (issue.code === 'custom' || issue.code === 'invalid_format') return `${field} ${issue.message}`;
  if (issue.code === 'too_big' || issue.code === 'too_small') return `${field} is out of range`;
  return `${field} is not valid`;
}

// The sync-run-log function's inputs, per caller: strict objects (unknown fields are refused). openapi.ts derives
// the document's request bodies and query parameters from these schemas (z.toJSONSchema), so what the document
// promises and what the function accepts cannot drift apart.
import { z } from 'zod';
import { CONNECTION_SCHEMAS } from '../_shared/integrations/connection-schemas.ts';
import { INTEGRATION_TYPES, type IntegrationType } from '../_shared/integrations/integration-types.ts';
import { INTEGRATION_TYPE_PATTERN, RUN_STATUSES, TRIGGERS } from '../_shared/run-log.types.ts';

const integrationType = z
  .string()
  .regex(INTEGRATION_TYPE_PATTERN, 'must be a lowercase identifier like "xledger" (^[a-z][a-z0-9_]{1,62}$)');
// Both cases spelled out: the document's JSON Schema pattern has no case-insensitive flag.
const uuid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a uuid');
const count = z.number().int().min(0).max(2_147_483_647);
const orgId = uuid.describe('The org to act for: the service role only (a user acts for the org of their token).');

/** A query parameter that is a whole number: digits only (no sign, exponent or hex), then the range. */
const QUERY_INTEGERS = new WeakMap<z.ZodType, { minimum: number; maximum: number }>();
function queryInteger(minimum: number, maximum: number, description: string) {
  const message = `must be a whole number from ${minimum} to ${maximum}`;
  const schema = z
    .string()
    .regex(/^\d{1,9}$/, message)
    .transform(Number)
    .pipe(z.number().int().min(minimum, message).max(maximum, message))
    .describe(description);
  QUERY_INTEGERS.set(schema, { minimum, maximum });
  return schema;
}

/** The range of a query integer made by queryInteger (the document shows it as an integer, not its digits). */
export function queryIntegerRange(schema: z.ZodType): { minimum: number; maximum: number } | undefined {
  return QUERY_INTEGERS.get(schema);
}

const limit = queryInteger(1, 1000, 'Page size, 1 to 1000 (default 50).');
const cursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the nextCursor of the previous page, as it came')
  .describe("The nextCursor of this route's previous page: the page after it.");
const instant = z.iso.datetime({
  offset: true,
  message: 'must be an ISO 8601 instant with Z or an offset, e.g. 2026-12-01T00:00:00Z (URL-encode + as %2B)',
});

// Runs --------------------------------------------------------------------------------------------------------

/** POST /runs by the service role (the scheduler, or a server acting for an org): records a run it executes. */
export const serviceStartRun = z
  .strictObject({
    orgId: uuid,
    integrationType,
    triggeredBy: z.enum(TRIGGERS),
    scheduledFor: z.iso
      .datetime({ offset: true })
      .describe('The period a scheduler run stands for: at most 5 minutes ahead of now (a period that is due).')
      .optional(),
    idempotencyKey: z
      .string()
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
      .regex(/^[^\u0000-\u001f\u007f]{1,200}$/, 'must be 1 to 200 characters without control characters')
      .optional(),
  })
  .refine((body) => body.triggeredBy === 'scheduler' || body.scheduledFor === undefined, {
    message: 'a manual run has no scheduledFor',
    path: ['scheduledFor'],
  });

/** POST /runs by a coordinator or admin: "Sync now" of their own org. */
export const userStartRun = z.strictObject({
  integrationType: integrationType.describe(`An integration the project knows: ${INTEGRATION_TYPES.join(', ')}.`),
  triggeredBy: z.literal('manual').optional(),
});
/** Fields only the service role may send. */
export const SERVICE_ONLY_START_FIELDS = ['orgId', 'scheduledFor', 'idempotencyKey'] as const;

/** PATCH /runs/{id} by the service role: any transition the database allows. */
export const serviceUpdateRun = z.strictObject({
  status: z.enum(['running', 'completed', 'failed', 'cancelled']),
  recordsProcessed: count.nullable().optional(),
  recordsFailed: count.nullable().optional(),
  errorMessage: z.string().max(16_384).nullable().optional(),
});

/** Fields of PATCH /runs/{id} only the service role may send. */
export const SERVICE_ONLY_UPDATE_FIELDS = ['recordsProcessed', 'recordsFailed', 'errorMessage'] as const;

/** PATCH /runs/{id} by a coordinator or admin: cancelling only (anything else is 403, not 400). */
export const userUpdateRun = z.strictObject({ status: z.string() });

export const orgQuery = z.strictObject({ orgId: orgId.optional() });
/** A route that takes no query parameter (GET /openapi.json). */
export const noQuery = z.strictObject({});
export const latestQuery = orgQuery;

/** GET /runs: one integration's history, newest first, filtered and keyset-paged. */
export const historyQuery = z.strictObject({
  orgId: orgId.optional(),
  integrationType,
  limit: limit.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  triggeredBy: z.enum(TRIGGERS).optional(),
  before: cursor.optional(),
});

// Integrations ------------------------------------------------------------------------------------------------

/** PUT /integrations/{type}/connection: the whole connection (omitted settings are {}, omitted enabled is true). */
export const connectionBodies = Object.fromEntries(
  INTEGRATION_TYPES.map((type) => [
    type,
    z.strictObject({
      settings: CONNECTION_SCHEMAS[type].settings.optional(),
      credentials: CONNECTION_SCHEMAS[type].credentials,
      enabled: z.boolean().optional(),
    }),
  ]),
) as unknown as Record<IntegrationType, z.ZodObject>;

/** PUT /integrations/{type}/schedule: the whole schedule (omitted fields take their defaults). */
export const scheduleBody = z.strictObject({
  cronExpression: z
    .string()
    .min(1, 'is required')
    .max(200, 'must be at most 200 characters')
    .describe('Five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, ...'),
  timeZone: z
    .string()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .optional()
    .describe('An IANA time zone the cron expression is read in (default Europe/Oslo).'),
  enabled: z.boolean().optional().describe('Default true.'),
  runTimeoutSeconds: z
    .number()
    .int()
    .min(60)
    .max(86_400)
    .optional()
    .describe('A running run silent for longer is failed (60 to 86400, default 1800).'),
});

/** GET /integrations/{type}/periods: the half-open range [from, to). */
export const periodsQuery = z.strictObject({
  orgId: orgId.optional(),
  from: instant.describe('The first instant of the range (inclusive).'),
  to: instant.describe('The end of the range (exclusive); at most 1000 periods of the schedule in between.'),
});

// Alerts ------------------------------------------------------------------------------------------------------

export const alertsQuery = z.strictObject({
  orgId: orgId.optional(),
  limit: limit.optional(),
  before: cursor.optional(),
});

/**
 * POST /alerts/{id}/acknowledge, whose body is optional: none (or {}) acknowledges the alert whatever it counts now.
 * failedCount is the failures the caller saw (a run_failed alert's details.failed_count): while the alert counts
 * more, it stays open (409 alert_changed).
 */
export const acknowledgeBody = z.strictObject({
  failedCount: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(2_147_483_647, 'must be at most 2147483647')
    .optional()
    .describe(
      'The failures the caller saw (details.failed_count of a run_failed alert; 1 when it has none): when the alert ' +
        'counts more now, it is not acknowledged (409 alert_changed, details.failedCount).',
    ),
});

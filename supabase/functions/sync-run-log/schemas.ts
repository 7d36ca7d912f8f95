// The sync-run-log function's inputs, per caller: strict objects (unknown fields are refused).
import { z } from 'zod';
import { INTEGRATION_TYPE_PATTERN, TRIGGERS } from '../_shared/run-log.types.ts';
import { UUID_PATTERN } from '../_shared/validation.ts';

const integrationType = z
  .string()
  .regex(INTEGRATION_TYPE_PATTERN, 'must be a lowercase identifier like "xledger" (^[a-z][a-z0-9_]{1,62}$)');
const uuid = z.string().regex(UUID_PATTERN, 'must be a uuid');
const count = z.number().int().min(0).max(2_147_483_647);

/** POST /runs by the service role (the scheduler, or a server acting for an org). */
export const serviceStartRun = z
  .strictObject({
    orgId: uuid,
    integrationType,
    triggeredBy: z.enum(TRIGGERS),
    scheduledFor: z.iso.datetime({ offset: true }).optional(),
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

/** POST /runs by a coordinator or admin: a manual run of their own org. */
export const userStartRun = z.strictObject({ integrationType, triggeredBy: z.literal('manual').optional() });
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

/** PATCH /runs/{id} by a coordinator or admin: cancelling only. */
export const userUpdateRun = z.strictObject({ status: z.string() });

export const latestQuery = z.strictObject({ orgId: uuid.optional() });

export const historyQuery = z.strictObject({
  orgId: uuid.optional(),
  integrationType,
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number from 1 to 1000')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, 'must be from 1 to 1000')
    .optional(),
});

export const orgQuery = z.strictObject({ orgId: uuid.optional() });

// The health monitor. runHealthChecks(now, deps) is called by the scheduler tick (every minute is fine: the database
// hands out only due rows). Per integration type it makes ONE lightweight check (the adapters' healthCheck: HEAD or a
// status endpoint, never data) for all due orgs: it watches the vendor, not an org's account. The check uses no
// org's credentials (they are per org, in Vault, for runs only) and goes to the deployment's base URL, which is the
// same for every org, so one answer stands for all of them. An org's own problems (credentials refused, its
// Dynamics environment) show in its runs, whose outcomes are recorded here too (recordSyncOutcome). Outcomes:
//   healthy      -> next check after the interval (15 minutes)
//   unhealthy    -> consecutive failures + 1, next check after exponential backoff with jitter, capped
//   rate limited -> (429 or Retry-After) every org's row of that integration goes passive for the cool-down (or
//                   Retry-After if longer): no pings until then; scheduled syncs decide the status (recordSyncOutcome)
// Nothing is silent: every check is stored in integration_health and logged as one JSON line.
import { SyncRunLogError } from '../errors.ts';
import type { AdapterRegistry, HealthCheckResult } from '../integrations/integration.ts';
import type { RpcPort } from '../rpc-port.ts';
import { sanitizeErrorMessage } from '../sanitize-error.ts';
import { HealthRepository } from './health.repository.ts';
import type { IntegrationHealth } from './health.types.ts';
import {
  type HealthConfig,
  healthConfig,
  MIN_CHECK_INTERVAL_MS,
  nextCheckDelayMs,
  passiveDurationMs,
} from './health-config.ts';

export interface HealthTarget {
  orgId: string;
  integrationType: string;
}

export interface HealthMonitorDeps {
  /** An rpc port with the service role. */
  rpc: RpcPort;
  adapters: AdapterRegistry;
  /** Injected randomness for the jitter (tests fix it). */
  random?: () => number;
  config?: Partial<HealthConfig>;
  /** (org, integration) pairs to watch; new ones are added, due at once. Rows already in the table are watched anyway. */
  targets?: HealthTarget[];
  /** One structured line per check. Default: console.log of JSON. */
  log?: (line: Record<string, unknown>) => void;
  signal?: AbortSignal;
}

export interface HealthCheckOutcome {
  integrationType: string;
  orgIds: string[];
  result: HealthCheckResult['status'];
  latencyMs: number;
  error: string | null;
  /** When the next check of these rows may happen (passive: the end of the cool-down). */
  nextCheckAt: Date;
}

export interface HealthRunReport {
  /** One entry per integration type checked in this run. */
  checks: HealthCheckOutcome[];
}

const defaultLog = (line: Record<string, unknown>) => console.log(JSON.stringify(line));

export async function runHealthChecks(now: Date, deps: HealthMonitorDeps): Promise<HealthRunReport> {
  const config = healthConfig(deps.config);
  const random = deps.random ?? Math.random;
  const log = deps.log ?? defaultLog;
  const repository = new HealthRepository(deps.rpc);

  for (const target of deps.targets ?? []) await repository.register(target.orgId, target.integrationType, now);
  const leaseSeconds = Math.ceil(Math.max(config.intervalMs, MIN_CHECK_INTERVAL_MS) / 1000);
  const due = await repository.claimDue(now, leaseSeconds, config.batchLimit);

  const byType = new Map<string, IntegrationHealth[]>();
  for (const row of due) byType.set(row.integrationType, [...(byType.get(row.integrationType) ?? []), row]);

  const checks: HealthCheckOutcome[] = [];
  for (const [integrationType, rows] of byType) {
    const result = await check(deps.adapters, integrationType, deps.signal);
    const error = result.error ? sanitizeErrorMessage(result.error) : null;
    const orgIds = rows.map((row) => row.orgId);
    let nextCheckAt: Date;

    if (result.status === 'rate_limited') {
      nextCheckAt = new Date(now.getTime() + passiveDurationMs(config, result.retryAfterSeconds));
      try {
        await repository.enterPassiveMode({
          orgId: orgIds[0] as string,
          integrationType,
          now,
          until: nextCheckAt,
          error: error ?? `${integrationType}: rate limited`,
          checkedOrgIds: orgIds,
          everyOrg: true, // the ping used no org's credentials: the endpoint said it for all of them
        });
      } catch (failure) {
        notRecorded(log, now, integrationType, orgIds, failure);
      }
    } else {
      const healthy = result.status === 'healthy';
      // One ping answered for every org of the integration (it used no org's credentials), so they all get the
      // same next check: with a jitter each, they would drift apart and the vendor be pinged once per org.
      const failures = healthy ? 0 : Math.max(...rows.map((row) => row.consecutiveFailures)) + 1;
      nextCheckAt = new Date(now.getTime() + nextCheckDelayMs(failures, config, random));
      for (const row of rows) {
        // One row's failed write must not leave the others of this check unrecorded.
        try {
          await repository.recordCheck({
            orgId: row.orgId,
            integrationType,
            checkedAt: now,
            healthy,
            latencyMs: result.latencyMs,
            error,
            nextCheckAt,
          });
        } catch (failure) {
          notRecorded(log, now, integrationType, [row.orgId], failure);
        }
      }
    }
    const outcome = { integrationType, orgIds, result: result.status, latencyMs: result.latencyMs, error, nextCheckAt };
    log({
      event: 'integration_health_check',
      at: now.toISOString(),
      ...outcome,
      nextCheckAt: nextCheckAt.toISOString(),
    });
    checks.push(outcome);
  }
  return { checks };
}

/** A check made but not written (the database failed): said, so that the rows' 15-minute lease is explained. */
function notRecorded(
  log: (line: Record<string, unknown>) => void,
  now: Date,
  integrationType: string,
  orgIds: string[],
  failure: unknown,
): void {
  log({
    event: 'integration_health_not_recorded',
    at: now.toISOString(),
    integrationType,
    orgIds,
    code: failure instanceof SyncRunLogError ? failure.code : 'unknown',
  });
}

async function check(
  adapters: AdapterRegistry,
  integrationType: string,
  signal?: AbortSignal,
): Promise<HealthCheckResult> {
  const adapter = adapters[integrationType];
  if (!adapter) return { status: 'unhealthy', latencyMs: 0, error: `no adapter for integration ${integrationType}` };
  try {
    return await adapter.healthCheck(signal);
  } catch (error) {
    // Adapters report problems as results; one that throws is still only this integration's problem.
    const reason = error instanceof Error ? error.message : String(error);
    return { status: 'unhealthy', latencyMs: 0, error: `${integrationType}: health check threw: ${reason}` };
  }
}

export interface SyncOutcomeInput {
  orgId: string;
  integrationType: string;
  /** When the sync finished. */
  at: Date;
  succeeded: boolean;
  /** The sync's error (sanitised here before it is stored). */
  errorMessage?: string | null;
  /** The sync met 429 (e.g. an IntegrationError with code rate_limited): go passive as a check would. */
  rateLimited?: boolean;
  retryAfterSeconds?: number;
}

/**
 * A scheduled sync's outcome. Always stored as last_sync_*; while the integration is passive it decides the status.
 * A rate-limited sync switches its org's row of the integration to passive mode for the cool-down.
 */
export async function recordSyncOutcome(
  input: SyncOutcomeInput,
  deps: { rpc: RpcPort; config?: Partial<HealthConfig> },
): Promise<IntegrationHealth> {
  const config = healthConfig(deps.config);
  const repository = new HealthRepository(deps.rpc);
  const error = input.errorMessage ? sanitizeErrorMessage(input.errorMessage) : null;
  if (input.rateLimited) {
    await repository.enterPassiveMode({
      orgId: input.orgId,
      integrationType: input.integrationType,
      now: input.at,
      until: new Date(input.at.getTime() + passiveDurationMs(config, input.retryAfterSeconds)),
      error: error ?? `${input.integrationType}: rate limited during a sync`,
      checkedOrgIds: [],
      everyOrg: false, // the sync used this org's credentials: the other orgs' are not its concern
    });
  }
  return repository.recordSyncOutcome({
    orgId: input.orgId,
    integrationType: input.integrationType,
    at: input.at,
    succeeded: input.succeeded,
    error,
  });
}

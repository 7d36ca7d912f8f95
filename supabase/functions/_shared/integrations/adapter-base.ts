// What the three adapters share: the deployment's settings (base URL, tuning) read once, and their problems made a
// visible state (healthCheck unhealthy, sync throws not_configured) instead of a crash at start-up, so one
// unconfigured vendor never stops the others. The org's credentials and settings come per run (SyncContext).
import { baseUrlFromEnv, type Env, pageSizeFromEnv, policyFromEnv } from './config.ts';
import { DEFAULT_POLICY, defaultRuntime, HttpClient, type HttpPolicy, type HttpRuntime } from './http-client.ts';
import { type HealthCheckResult, IntegrationError } from './integration.ts';

export interface AdapterSetup {
  /** A client for the deployment's base URL, or null when it is unusable (see `problem`). */
  client: HttpClient | null;
  /** Why the adapter cannot run (a missing or invalid variable), or null. */
  problem: string | null;
  /** The tuning variables are valid (the problem, if any, is the base URL alone). */
  tuned: boolean;
  policy: HttpPolicy;
  pageSize: number;
  runtime: HttpRuntime;
}

export function setUpAdapter(
  integration: string,
  prefix: string,
  env: Env,
  runtime: HttpRuntime = defaultRuntime,
): AdapterSetup {
  try {
    const policy = policyFromEnv(env, prefix);
    const pageSize = pageSizeFromEnv(env, prefix);
    const baseUrl = baseUrlFromEnv(env, `${prefix}_BASE_URL`);
    if (typeof baseUrl === 'string') return { client: null, problem: baseUrl, tuned: true, policy, pageSize, runtime };
    const client = new HttpClient(integration, baseUrl, policy, runtime);
    return { client, problem: null, tuned: true, policy, pageSize, runtime };
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    return { client: null, problem, tuned: false, policy: DEFAULT_POLICY, pageSize: 100, runtime };
  }
}

export function notConfigured(integration: string, problem: string): IntegrationError {
  return new IntegrationError('not_configured', `${integration} is not configured: ${problem}`);
}

export function notConfiguredHealth(integration: string, problem: string): HealthCheckResult {
  return { status: 'unhealthy', latencyMs: 0, error: `${integration} is not configured: ${problem}` };
}

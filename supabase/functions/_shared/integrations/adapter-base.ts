// What the three adapters share: configuration problems become a visible state (healthCheck unhealthy, sync throws
// not_configured) instead of a crash at start-up, so one unconfigured vendor never stops the others.
import { baseUrlFromEnv, type Env, missing, pageSizeFromEnv, policyFromEnv } from './config.ts';
import { defaultRuntime, HttpClient, type HttpRuntime } from './http-client.ts';
import { type HealthCheckResult, IntegrationError } from './integration.ts';

export interface AdapterSetup {
  client: HttpClient | null;
  /** Why the adapter cannot run (a missing or invalid variable), or null. */
  problem: string | null;
  pageSize: number;
}

export function setUpAdapter(
  integration: string,
  prefix: string,
  env: Env,
  secrets: string[],
  runtime: HttpRuntime = defaultRuntime,
): AdapterSetup {
  try {
    const baseUrl = baseUrlFromEnv(env, `${prefix}_BASE_URL`);
    const pageSize = pageSizeFromEnv(env, prefix);
    if (typeof baseUrl === 'string') return { client: null, problem: baseUrl, pageSize };
    const absent = missing(env, secrets);
    if (absent) return { client: null, problem: absent, pageSize };
    return {
      client: new HttpClient(integration, baseUrl, policyFromEnv(env, prefix), runtime),
      problem: null,
      pageSize,
    };
  } catch (error) {
    return { client: null, problem: error instanceof Error ? error.message : String(error), pageSize: 100 };
  }
}

export function notConfigured(integration: string, problem: string): IntegrationError {
  return new IntegrationError('not_configured', `${integration} is not configured: ${problem}`);
}

export function notConfiguredHealth(integration: string, problem: string): HealthCheckResult {
  return { status: 'unhealthy', latencyMs: 0, error: `${integration} is not configured: ${problem}` };
}

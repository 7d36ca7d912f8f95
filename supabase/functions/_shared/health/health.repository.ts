// The health table's RPCs through the rpc port (supabase-js in production, the SQL adapter locally).
// Writes need the service role; getIntegrationHealth runs as the caller (RLS applies).
import { callRpc } from '../errors.ts';
import type { RpcPort } from '../rpc-port.ts';
import { type IntegrationHealth, type IntegrationHealthRow, toIntegrationHealth } from './health.types.ts';

export class HealthRepository {
  constructor(private readonly port: RpcPort) {}

  private async call<T>(fn: string, args: Record<string, unknown>): Promise<T> {
    return (await callRpc(this.port, fn, args, 'the health table could not be reached')) as T;
  }

  async register(orgId: string, integrationType: string, now: Date): Promise<void> {
    await this.call('register_integration_health', {
      p_org_id: orgId,
      p_integration_type: integrationType,
      p_now: now,
    });
  }

  async claimDue(now: Date, leaseSeconds: number, limit: number): Promise<IntegrationHealth[]> {
    const rows = await this.call<IntegrationHealthRow[] | null>('claim_due_integration_health_checks', {
      p_now: now,
      p_lease_seconds: leaseSeconds,
      p_limit: limit,
    });
    return (rows ?? []).map(toIntegrationHealth);
  }

  async recordCheck(input: {
    orgId: string;
    integrationType: string;
    checkedAt: Date;
    healthy: boolean;
    latencyMs: number;
    error: string | null;
    nextCheckAt: Date;
  }): Promise<IntegrationHealth> {
    const row = await this.call<IntegrationHealthRow>('record_integration_health_check', {
      p_org_id: input.orgId,
      p_integration_type: input.integrationType,
      p_checked_at: input.checkedAt,
      p_healthy: input.healthy,
      p_latency_ms: Math.max(0, Math.round(input.latencyMs)),
      p_error: input.error,
      p_next_check_at: input.nextCheckAt,
    });
    return toIntegrationHealth(row);
  }

  /**
   * The integration goes passive until `until`: every org's row (`everyOrg`, the monitor's ping, which uses no org's
   * credentials), or only `orgId`'s (a sync rate limited with its own). Returns how many rows changed.
   */
  async enterPassiveMode(input: {
    orgId: string;
    integrationType: string;
    now: Date;
    until: Date;
    error: string;
    checkedOrgIds: string[];
    everyOrg: boolean;
  }): Promise<number> {
    return this.call<number>('enter_integration_passive_mode', {
      p_org_id: input.orgId,
      p_integration_type: input.integrationType,
      p_now: input.now,
      p_until: input.until,
      p_error: input.error,
      p_checked_org_ids: input.checkedOrgIds,
      p_every_org: input.everyOrg,
    });
  }

  async recordSyncOutcome(input: {
    orgId: string;
    integrationType: string;
    at: Date;
    succeeded: boolean;
    error: string | null;
  }): Promise<IntegrationHealth> {
    const row = await this.call<IntegrationHealthRow>('record_integration_sync_outcome', {
      p_org_id: input.orgId,
      p_integration_type: input.integrationType,
      p_at: input.at,
      p_succeeded: input.succeeded,
      p_error: input.error,
    });
    return toIntegrationHealth(row);
  }

  async getIntegrationHealth(orgId: string): Promise<IntegrationHealth[]> {
    const rows = await this.call<IntegrationHealthRow[] | null>('get_integration_health', { p_org_id: orgId });
    return (rows ?? []).map(toIntegrationHealth);
  }
}

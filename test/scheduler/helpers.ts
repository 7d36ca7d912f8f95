// Test helpers for the scheduler: repositories over a test database (as the service role), the database's clock
// (simulated clocks are anchored to it, docs/decisions.md), recording loggers, small adapters written for tests,
// and org connections (stored through the database's own function, or a stand-in source for adapters that need none).
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { callRpc } from '../../supabase/functions/_shared/errors.ts';
import type {
  IntegrationAdapter,
  SyncContext,
  SyncResult,
} from '../../supabase/functions/_shared/integrations/integration.ts';
import type { Logger, LogLevel } from '../../supabase/functions/_shared/log.ts';
import type { RpcPort } from '../../supabase/functions/_shared/rpc-port.ts';
import { SyncRunLogRepository } from '../../supabase/functions/_shared/run-log.repository.ts';
import type { ConnectionSource } from '../../supabase/functions/_shared/scheduler/executor.ts';
import { SchedulerRepository } from '../../supabase/functions/_shared/scheduler/scheduler.repository.ts';
import { createSqlRpc } from '../../supabase/functions/_shared/sql-rpc.ts';
import { SERVICE } from '../helpers/db.ts';

export const MINUTE = 60_000;

export function repositories(sql: Sql) {
  const port = createSqlRpc(sql, SERVICE);
  return { port, runLog: new SyncRunLogRepository(port), scheduler: new SchedulerRepository(port) };
}

/** The database's clock: it stamps started_at and heartbeat_at, so simulated clocks start from it. */
export async function databaseNow(sql: Sql): Promise<Date> {
  const [row] = await sql<{ now: Date }[]>`select now() as now`;
  return new Date((row as { now: Date }).now);
}

export function floorTo(date: Date, minutes: number): Date {
  const step = minutes * MINUTE;
  return new Date(Math.floor(date.getTime() / step) * step);
}

export const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

export const newOrg = () => randomUUID();

export interface LogLine {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, log: (level, message, fields = {}) => lines.push({ level, message, fields }) };
}

/** For adapters written for tests, which take no credentials: every run gets an empty connection. */
export const emptyConnections: ConnectionSource = { load: async () => ({ credentials: {}, settings: {} }) };

/** Stores an org's connection (credentials in Vault) as the Edge Function would: upsert_sync_connection. */
export async function connect(
  port: RpcPort,
  orgId: string,
  integrationType: string,
  credentials: Record<string, unknown> | null,
  options: { settings?: Record<string, unknown>; enabled?: boolean } = {},
): Promise<void> {
  await callRpc(port, 'upsert_sync_connection', {
    p_org_id: orgId,
    p_integration_type: integrationType,
    p_settings: options.settings ?? null,
    p_credentials: credentials,
    p_enabled: options.enabled ?? null,
  });
}

/** An adapter for tests: reports `pages` progress steps of 10 records, then returns. */
export function pagedAdapter(type: string, pages = 2, failedPerPage = 0): IntegrationAdapter {
  return {
    type,
    healthCheck: async () => ({ status: 'healthy', latencyMs: 1 }),
    async sync(context: SyncContext): Promise<SyncResult> {
      let processed = 0;
      let failed = 0;
      for (let page = 0; page < pages; page++) {
        processed += 10;
        failed += failedPerPage;
        await context.onProgress({ recordsProcessed: processed, recordsFailed: failed });
      }
      return {
        recordsProcessed: processed,
        recordsFailed: failed,
        errorMessage: failed > 0 ? `${failed} records refused` : null,
      };
    },
  };
}

export interface RunRow {
  id: string;
  org_id: string;
  integration_type: string;
  status: string;
  scheduled_for: Date | null;
  idempotency_key: string | null;
  triggered_by: string;
  error_message: string | null;
  records_processed: number;
  records_failed: number;
}

export async function runsOf(sql: Sql, orgId: string): Promise<RunRow[]> {
  return sql<RunRow[]>`
    select id, org_id, integration_type, status, scheduled_for, idempotency_key, triggered_by, error_message,
           records_processed, records_failed
    from public.sync_run_log where org_id = ${orgId} order by scheduled_for nulls last, started_at`;
}

export async function alertsOf(sql: Sql, orgId: string) {
  return sql<{ kind: string; run_id: string | null; details: Record<string, unknown> }[]>`
    select kind, run_id, details from public.sync_alerts where org_id = ${orgId} order by created_at, kind`;
}

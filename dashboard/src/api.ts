// The dashboard's one way to the sync-run-log function: the project's client (src/client) over supabase-js's
// functions.invoke, which sends the signed-in user's access token. Views call these methods and nothing else: no
// fetch of the API anywhere in the views. The types are the client's (the JSON of the function's OpenAPI document).
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import {
  type Alert,
  type Connection,
  type ConnectionInputs,
  createSyncRunLogClient,
  type FunctionsInvoker,
  type IntegrationHealth,
  type IntegrationOverview,
  type Period,
  type PeriodOutcome,
  type RunStatus,
  type Schedule,
  type ScheduleInput,
  type SyncRun,
  SyncRunLogError,
  type TriggeredBy,
} from '../../src/client/index.ts';
import type { DashboardConfig } from './config.ts';

export type { Alert, Connection, Period, PeriodOutcome, RunStatus, Schedule, ScheduleInput, SyncRun, TriggeredBy };
export type Integration = IntegrationOverview;
export type Health = IntegrationHealth;
export { SyncRunLogError };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface RunFilters {
  integrationType: string;
  status?: RunStatus;
  triggeredBy?: TriggeredBy;
  before?: string;
  limit?: number;
}

/** A connection as the settings form sends it: PUT replaces it whole, credentials included (they are write-only). */
export interface ConnectionInput {
  settings: Record<string, unknown>;
  credentials: Record<string, string>;
  enabled: boolean;
}

export interface DashboardApi {
  integrations(): Promise<Integration[]>;
  runs(filters: RunFilters): Promise<Page<SyncRun>>;
  run(runId: string): Promise<SyncRun>;
  syncNow(integrationType: string): Promise<SyncRun>;
  cancel(runId: string): Promise<SyncRun>;
  periods(integrationType: string, from: Date, to: Date): Promise<Period[]>;
  alerts(options: { before?: string; limit?: number }): Promise<Page<Alert>>;
  /** `failedCount`: the failures the user sees on the alert; when it counts more now, `alert_changed` (409). */
  acknowledge(alertId: string, failedCount?: number): Promise<Alert>;
  saveSchedule(integrationType: string, input: ScheduleInput): Promise<Schedule>;
  saveConnection(integrationType: string, input: ConnectionInput): Promise<Connection>;
}

/** The supabase-js client of the dashboard: the fragment's token (local), or supabase-js's own session. */
export function supabaseClientFor(config: DashboardConfig, accessToken: (() => string) | null): SupabaseClient {
  if (accessToken) {
    return createClient(config.supabaseUrl, config.publishableKey, { accessToken: async () => accessToken() });
  }
  return createClient(config.supabaseUrl, config.publishableKey, {
    auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: true },
  });
}

export function createDashboardApi(supabase: FunctionsInvoker): DashboardApi {
  const client = createSyncRunLogClient(supabase);
  return {
    integrations: () => client.listIntegrations(),
    async runs({ integrationType, status, triggeredBy, before, limit = 25 }) {
      const page = await client.getRunHistoryPage(integrationType, { status, triggeredBy, before, limit });
      return { items: page.runs, nextCursor: page.nextCursor };
    },
    // A run the address names by no id at all does not exist: not found, as the API says of an unknown id, rather
    // than a refusal the user cannot correct (the client refuses a malformed id before asking).
    run: (runId) =>
      client.getRun(runId).catch((error: unknown) => {
        throw error instanceof SyncRunLogError && error.code === 'invalid_argument'
          ? new SyncRunLogError('not_found', `no run ${runId}`)
          : error;
      }),
    syncNow: (integrationType) => client.triggerManualSync(integrationType),
    cancel: (runId) => client.cancelRun(runId),
    periods: (integrationType, from, to) => client.listPeriods(integrationType, { from, to }),
    async alerts({ before, limit = 50 }) {
      const page = await client.listAlerts({ before, limit });
      return { items: page.alerts, nextCursor: page.nextCursor };
    },
    acknowledge: (alertId, failedCount) => client.acknowledgeAlert(alertId, { failedCount }),
    saveSchedule: (integrationType, input) => client.putSchedule(integrationType, input),
    saveConnection: (integrationType, input) =>
      // The settings form sends the fields of the integration's own kind (views/settings.tsx); the server checks them.
      client.putConnection(
        integrationType as keyof ConnectionInputs,
        input as ConnectionInputs[keyof ConnectionInputs],
      ),
  };
}

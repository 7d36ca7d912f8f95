// createAdapters(env): every integration the scheduler knows, by integration_type. Pass Deno.env.toObject() in an
// Edge Function, process.env in Node: the deployment's base URLs and tuning; each org's credentials and settings
// come per run (SyncContext; their schemas in connection-schemas.ts). Adapters whose deployment settings are
// unusable are still returned (configured: false) so that the health table and the run log say why they cannot run.
import { BufdirAdapter } from './bufdir.ts';
import type { Env } from './config.ts';
import { DynamicsAdapter } from './dynamics.ts';
import type { HttpRuntime } from './http-client.ts';
import type { AdapterRegistry } from './integration.ts';
import { XledgerAdapter } from './xledger.ts';

export function createAdapters(env: Env, runtime?: HttpRuntime): AdapterRegistry {
  return Object.freeze({
    xledger: new XledgerAdapter(env, runtime),
    dynamics: new DynamicsAdapter(env, runtime),
    bufdir: new BufdirAdapter(env, runtime),
  });
}

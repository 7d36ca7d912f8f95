// Test helpers: the three simulated APIs on free ports, the credentials they accept (in a connection's shape), and
// an adapter runtime whose waits are recorded, not slept.

import { bufdirApi } from '../../src/local/simulated-apis/bufdir-api.ts';
import { type DynamicsClient, dynamicsApi } from '../../src/local/simulated-apis/dynamics-api.ts';
import { LOCAL_CREDENTIALS } from '../../src/local/simulated-apis/index.ts';
import { type SimulatedServer, startSimulatedServer } from '../../src/local/simulated-apis/server.ts';
import { xledgerApi } from '../../src/local/simulated-apis/xledger-api.ts';
import type { Env } from '../../supabase/functions/_shared/integrations/config.ts';
import type { HttpRuntime } from '../../supabase/functions/_shared/integrations/http-client.ts';
import { IntegrationError } from '../../supabase/functions/_shared/integrations/integration.ts';

export { LOCAL_CREDENTIALS };

export const VENDORS = ['xledger', 'dynamics', 'bufdir'] as const;
export type Vendor = (typeof VENDORS)[number];

export interface SimulatedApis {
  xledger: SimulatedServer;
  dynamics: SimulatedServer;
  bufdir: SimulatedServer;
  /** The deployment's environment: base URLs only (credentials are each org's). */
  env: Env;
  stop(): Promise<void>;
}

/** More credentials each API accepts besides the local ones (e.g. a second org's). */
export interface ExtraCredentials {
  xledger?: string[];
  dynamics?: DynamicsClient[];
  bufdir?: string[];
}

export async function startApis(
  options: { now?: () => number; accept?: ExtraCredentials } = {},
): Promise<SimulatedApis> {
  const opts = options.now ? { now: options.now } : {};
  const accept = options.accept ?? {};
  const xledger = await startSimulatedServer(
    xledgerApi({ tokens: [LOCAL_CREDENTIALS.xledger.apiToken, ...(accept.xledger ?? [])] }),
    opts,
  );
  const dynamics = await startSimulatedServer(
    dynamicsApi({ clients: [LOCAL_CREDENTIALS.dynamics, ...(accept.dynamics ?? [])] }),
    opts,
  );
  const bufdir = await startSimulatedServer(
    bufdirApi({ apiKeys: [LOCAL_CREDENTIALS.bufdir.apiKey, ...(accept.bufdir ?? [])] }),
    opts,
  );
  return {
    xledger,
    dynamics,
    bufdir,
    env: { XLEDGER_BASE_URL: xledger.url, DYNAMICS_BASE_URL: dynamics.url, BUFDIR_BASE_URL: bufdir.url },
    async stop() {
      await Promise.all([xledger.stop(), dynamics.stop(), bufdir.stop()]);
    },
  };
}

/** Credentials of the same shape as the local ones, but refused by the simulated APIs (every value changed). */
export const WRONG_CREDENTIALS = {
  xledger: { apiToken: 'wrong-xledger-token-3f9a' },
  dynamics: { clientId: LOCAL_CREDENTIALS.dynamics.clientId, clientSecret: 'wrong-dynamics-secret-3f9a' },
  bufdir: { apiKey: 'wrong-bufdir-key-3f9a' },
} as const;

/** Real fetch; waits are recorded and return at once (still refusing an aborted signal); randomness fixed. */
export function recordingRuntime(random = 0.5): HttpRuntime & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    fetch: (input, init) => fetch(input, init),
    sleep: async (ms, signal) => {
      if (signal.aborted) throw new IntegrationError('cancelled', 'cancelled');
      sleeps.push(ms);
    },
    random: () => random,
    now: Date.now,
  };
}

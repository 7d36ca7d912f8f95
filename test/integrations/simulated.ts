// Test helpers: the three simulated APIs on free ports, and an adapter runtime whose waits are recorded, not slept.

import { bufdirApi, SIMULATED_BUFDIR_API_KEY } from '../../src/local/simulated-apis/bufdir-api.ts';
import {
  dynamicsApi,
  SIMULATED_DYNAMICS_CLIENT_ID,
  SIMULATED_DYNAMICS_CLIENT_SECRET,
} from '../../src/local/simulated-apis/dynamics-api.ts';
import { type SimulatedServer, startSimulatedServer } from '../../src/local/simulated-apis/server.ts';
import { SIMULATED_XLEDGER_TOKEN, xledgerApi } from '../../src/local/simulated-apis/xledger-api.ts';
import type { Env } from '../../supabase/functions/_shared/integrations/config.ts';
import type { HttpRuntime } from '../../supabase/functions/_shared/integrations/http-client.ts';
import { IntegrationError } from '../../supabase/functions/_shared/integrations/integration.ts';

export interface SimulatedApis {
  xledger: SimulatedServer;
  dynamics: SimulatedServer;
  bufdir: SimulatedServer;
  env: Env;
  stop(): Promise<void>;
}

export async function startApis(options: { now?: () => number } = {}): Promise<SimulatedApis> {
  const opts = options.now ? { now: options.now } : {};
  const xledger = await startSimulatedServer(xledgerApi(), opts);
  const dynamics = await startSimulatedServer(dynamicsApi(), opts);
  const bufdir = await startSimulatedServer(bufdirApi(), opts);
  return {
    xledger,
    dynamics,
    bufdir,
    env: {
      XLEDGER_BASE_URL: xledger.url,
      XLEDGER_API_TOKEN: SIMULATED_XLEDGER_TOKEN,
      DYNAMICS_BASE_URL: dynamics.url,
      DYNAMICS_CLIENT_ID: SIMULATED_DYNAMICS_CLIENT_ID,
      DYNAMICS_CLIENT_SECRET: SIMULATED_DYNAMICS_CLIENT_SECRET,
      BUFDIR_BASE_URL: bufdir.url,
      BUFDIR_API_KEY: SIMULATED_BUFDIR_API_KEY,
    },
    async stop() {
      await Promise.all([xledger.stop(), dynamics.stop(), bufdir.stop()]);
    },
  };
}

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

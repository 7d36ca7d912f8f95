// The three simulated vendor APIs as `npm start` runs them: fixed ports (54331-54333 by default), realistic
// latency, a little bad data, no faults until someone asks (POST /__control/faults). Each accepts exactly one set of
// credentials (LOCAL_CREDENTIALS: what a local org's connections hold) and refuses every other with 401, as the real
// ones would. Also sets the adapters' base URLs (XLEDGER_BASE_URL, ...) for this process when they are not set
// already, so the local scheduler and the functions use them; credentials are never environment variables.
import { bufdirApi, LOCAL_BUFDIR_API_KEY } from './bufdir-api.ts';
import { dynamicsApi, LOCAL_DYNAMICS_CLIENT_ID, LOCAL_DYNAMICS_CLIENT_SECRET } from './dynamics-api.ts';
import { type SimulatedServer, startSimulatedServer } from './server.ts';
import { LOCAL_XLEDGER_API_TOKEN, xledgerApi } from './xledger-api.ts';

export { LOCAL_BUFDIR_API_KEY, LOCAL_DYNAMICS_CLIENT_ID, LOCAL_DYNAMICS_CLIENT_SECRET, LOCAL_XLEDGER_API_TOKEN };

/** The credentials the simulated APIs accept, by integration type, in the shape a connection stores them. */
export const LOCAL_CREDENTIALS = {
  xledger: { apiToken: LOCAL_XLEDGER_API_TOKEN },
  dynamics: { clientId: LOCAL_DYNAMICS_CLIENT_ID, clientSecret: LOCAL_DYNAMICS_CLIENT_SECRET },
  bufdir: { apiKey: LOCAL_BUFDIR_API_KEY },
} as const;

export interface SimulatedApisConfig {
  xledgerPort: number;
  dynamicsPort: number;
  bufdirPort: number;
  latencyMs?: [number, number];
}

export async function startSimulatedApis(config: SimulatedApisConfig, env: NodeJS.ProcessEnv = process.env) {
  const latencyMs = config.latencyMs ?? [40, 250];
  // Every record valid: a live run completes (the demo's history shows partly failed runs; /__control/data sets
  // invalidEvery to watch one happen).
  const data = { totalRecords: 2500, invalidEvery: 0, maxPageSize: 200 };
  const servers: SimulatedServer[] = [];
  const start = async (api: Parameters<typeof startSimulatedServer>[0], port: number | undefined, variable: string) => {
    try {
      servers.push(await startSimulatedServer(api, { port, latencyMs }));
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
      throw new Error(`port ${port} is taken (another npm start?): set ${variable} to a free port`);
    }
  };
  try {
    await start(xledgerApi({ data }), config.xledgerPort, 'SIMULATED_XLEDGER_PORT');
    await start(dynamicsApi({ data }), config.dynamicsPort, 'SIMULATED_DYNAMICS_PORT');
    await start(bufdirApi({ data }), config.bufdirPort, 'SIMULATED_BUFDIR_PORT');
  } catch (error) {
    for (const server of servers) await server.stop();
    throw error;
  }
  const [xledger, dynamics, bufdir] = servers as [SimulatedServer, SimulatedServer, SimulatedServer];
  // A vendor whose base URL is set elsewhere keeps it: an org's connection then talks to that API.
  env.XLEDGER_BASE_URL ||= xledger.url;
  env.DYNAMICS_BASE_URL ||= dynamics.url;
  env.BUFDIR_BASE_URL ||= bufdir.url;
  return {
    servers,
    async stop() {
      for (const server of servers) await server.stop();
    },
  };
}

/** SIMULATED_XLEDGER_PORT, SIMULATED_DYNAMICS_PORT, SIMULATED_BUFDIR_PORT (defaults 54331-54333). */
export function simulatedApisConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SimulatedApisConfig {
  const port = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65_535)
      throw new Error(`${name} must be a TCP port (1-65535), got "${raw}"`);
    return value;
  };
  return {
    xledgerPort: port('SIMULATED_XLEDGER_PORT', 54331),
    dynamicsPort: port('SIMULATED_DYNAMICS_PORT', 54332),
    bufdirPort: port('SIMULATED_BUFDIR_PORT', 54333),
  };
}

/** SIMULATED_APIS=off skips them (real vendor URLs configured instead). */
export function simulatedApisEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return !['off', 'false', '0', 'no'].includes((env.SIMULATED_APIS ?? '').toLowerCase());
}

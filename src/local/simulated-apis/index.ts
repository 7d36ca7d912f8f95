// The three simulated vendor APIs as `npm start` runs them: fixed ports (54331-54333 by default), realistic
// latency, a little bad data, no faults until someone asks (POST /__control/faults). Also sets the adapters'
// environment (XLEDGER_BASE_URL, ...) for this process when it is not set already, so the local scheduler uses them.
import { bufdirApi, SIMULATED_BUFDIR_API_KEY } from './bufdir-api.ts';
import { dynamicsApi, SIMULATED_DYNAMICS_CLIENT_ID, SIMULATED_DYNAMICS_CLIENT_SECRET } from './dynamics-api.ts';
import { type SimulatedServer, startSimulatedServer } from './server.ts';
import { SIMULATED_XLEDGER_TOKEN, xledgerApi } from './xledger-api.ts';

export interface SimulatedApisConfig {
  xledgerPort: number;
  dynamicsPort: number;
  bufdirPort: number;
  latencyMs?: [number, number];
}

export async function startSimulatedApis(config: SimulatedApisConfig, env: NodeJS.ProcessEnv = process.env) {
  const latencyMs = config.latencyMs ?? [40, 250];
  const data = { totalRecords: 2500, invalidEvery: 400, maxPageSize: 200 };
  const servers: SimulatedServer[] = [];
  try {
    servers.push(await startSimulatedServer(xledgerApi({ data }), { port: config.xledgerPort, latencyMs }));
    servers.push(await startSimulatedServer(dynamicsApi({ data }), { port: config.dynamicsPort, latencyMs }));
    servers.push(await startSimulatedServer(bufdirApi({ data }), { port: config.bufdirPort, latencyMs }));
  } catch (error) {
    for (const server of servers) await server.stop();
    throw error;
  }
  const [xledger, dynamics, bufdir] = servers as [SimulatedServer, SimulatedServer, SimulatedServer];
  // A vendor whose base URL is set elsewhere keeps its own settings: simulated credentials never go to a real API.
  const defaults: Array<Record<string, string>> = [
    { XLEDGER_BASE_URL: xledger.url, XLEDGER_API_TOKEN: SIMULATED_XLEDGER_TOKEN },
    {
      DYNAMICS_BASE_URL: dynamics.url,
      DYNAMICS_CLIENT_ID: SIMULATED_DYNAMICS_CLIENT_ID,
      DYNAMICS_CLIENT_SECRET: SIMULATED_DYNAMICS_CLIENT_SECRET,
    },
    { BUFDIR_BASE_URL: bufdir.url, BUFDIR_API_KEY: SIMULATED_BUFDIR_API_KEY },
  ];
  for (const group of defaults) {
    const [baseUrlName] = Object.keys(group) as [string];
    if (env[baseUrlName]) continue;
    for (const [name, value] of Object.entries(group)) env[name] ||= value;
  }
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

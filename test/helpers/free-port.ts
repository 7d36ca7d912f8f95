import { createServer } from 'node:net';

// Listening ports come from below the kernel's ephemeral range (32768-60999 by default): a port from that range that
// was free a moment ago can be taken as the local port of any outgoing connection (a database client, a fetch)
// before the server that asked for it binds it, which made servers fail with EADDRINUSE now and then under the whole
// suite's load. Below it, only another listener can take the port, and the random pick makes that rare.
const LOW = 20_000;
const HIGH = 32_000;
/** Ports this process handed out already: never twice (several are picked before any is bound). */
const given = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (given.has(port) || !(await bindable(port))) continue;
    given.add(port);
    return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 100 tries`);
}

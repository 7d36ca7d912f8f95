// Waits for a server the tests started (PostgreSQL, PgBouncer) to accept connections: one probe connection every
// 100 ms until a query answers. A server that exited, or did not answer in time, is stopped and the error carries
// its output.
import postgres from 'postgres';

export interface StartingServer {
  /** In messages: `PostgreSQL`, `pgbouncer`. */
  name: string;
  url: string;
  port: number;
  timeoutMs: number;
  /** A query the server answers once it is up (simple protocol, no pg_type: PgBouncer's admin console has none). */
  query: string;
  exited(): boolean;
  stop(): Promise<void>;
  output(): string;
}

export async function waitUntilAccepting(server: StartingServer): Promise<void> {
  const deadline = Date.now() + server.timeoutMs;
  for (;;) {
    if (server.exited()) {
      await server.stop();
      throw new Error(`${server.name} exited during start:\n${server.output()}`);
    }
    const probe = postgres(server.url, { max: 1, fetch_types: false, onnotice: () => {}, connect_timeout: 2 });
    try {
      await probe.unsafe(server.query);
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(
          `${server.name} did not accept connections on port ${server.port} (${String(error)}):\n${server.output()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await probe.end({ timeout: 1 });
    }
  }
}

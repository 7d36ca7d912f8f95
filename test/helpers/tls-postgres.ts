// A PostgreSQL server that speaks TLS, as a hosted project's does: a proxy in front of the test database that answers
// the client's SSLRequest with 'S', completes the TLS handshake with a test-only certificate (of a test CA) and relays
// the decrypted stream to the database. A client that skips TLS is relayed in plain text, as PostgreSQL itself allows
// unless told otherwise, and counted, so a test can say how each client came in.
import { readFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { TLSSocket } from 'node:tls';

/** The first message of a client that asks for TLS: length 8, then the code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

export interface TlsPostgres {
  /** `url` with its host and port replaced by the proxy's. */
  url: string;
  /** Sessions that came in over TLS, and those that did not. */
  counts: { tls: number; plain: number };
  close(): Promise<void>;
}

/** The directory of the test certificates (test/fixtures/tls/README.md): a test CA, and the proxy's certificate for
 *  localhost and 127.0.0.1 signed by it. */
const TLS_FIXTURES = path.join(import.meta.dirname, '../fixtures/tls');

/** The PEM of a test CA: `ca` signed the proxy's certificate, `other` did not. */
export function testCa(which: 'ca' | 'other'): string {
  return readFileSync(path.join(TLS_FIXTURES, which === 'ca' ? 'ca.pem' : 'other-ca.pem'), 'utf8');
}

function testCertificate(): { key: Buffer; cert: Buffer } {
  return {
    key: readFileSync(path.join(TLS_FIXTURES, 'key.pem')),
    cert: readFileSync(path.join(TLS_FIXTURES, 'cert.pem')),
  };
}

/** `host`: the loopback address to listen on (default 127.0.0.1; its certificate names 127.0.0.1 and localhost). */
export async function startTlsPostgres(url: string, host = '127.0.0.1'): Promise<TlsPostgres> {
  const target = new URL(url);
  const { key, cert } = testCertificate();
  const counts = { tls: 0, plain: 0 };
  const sockets = new Set<Socket>();
  const relay = (client: Socket, first: Buffer) => {
    const server = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    sockets.add(server);
    if (first.length > 0) server.write(first);
    client.pipe(server).pipe(client);
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(server);
    };
    client.on('error', end).on('close', end);
    server.on('error', end).on('close', end);
  };
  const proxy = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('readable', function first() {
      const head: Buffer | null = socket.read(8);
      if (head === null) return socket.once('readable', first);
      if (!head.equals(SSL_REQUEST)) {
        counts.plain++;
        return relay(socket, head);
      }
      socket.write('S');
      const secure = new TLSSocket(socket, { isServer: true, key, cert });
      secure.once('secure', () => {
        counts.tls++;
        relay(secure, Buffer.alloc(0));
      });
      secure.on('error', () => socket.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, host, resolve));
  const address = proxy.address();
  if (address === null || typeof address === 'string') throw new Error('the TLS proxy has no port');
  const proxied = new URL(url);
  proxied.hostname = host;
  proxied.port = String(address.port);
  return {
    url: proxied.toString(),
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

// The load generator's keep-alive client against a real socket: whole responses however the bytes are split,
// one after another on the same connection, and a clear refusal of a response without Content-Length.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getRequest, KeepAliveConnection } from '../../bench/http-load.ts';

let server: net.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A server that answers each request with the next of `answers`, written in pieces of `piece` bytes. */
async function serve(answers: Buffer[], piece: number): Promise<number> {
  server = net.createServer((socket) => {
    let next = 0;
    socket.on('data', async () => {
      const answer = answers[next++] as Buffer;
      for (let at = 0; at < answer.length; at += piece) {
        socket.write(answer.subarray(at, at + piece));
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

const response = (status: number, body: string) =>
  Buffer.from(
    `HTTP/1.1 ${status} X\r\ncontent-type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );

describe('KeepAliveConnection', () => {
  it('reads whole responses whatever the pieces, one after another on one connection', async () => {
    const big = 'x'.repeat(300_000);
    const port = await serve([response(200, big), response(404, 'none'), response(200, '')], 7_001);
    const connection = await KeepAliveConnection.open('127.0.0.1', port);
    const request = getRequest('127.0.0.1', port, '/a', { authorization: 'Bearer t' });
    const first = await connection.send(request);
    expect([first.status, first.body.toString()]).toEqual([200, big]);
    const second = await connection.send(request);
    expect([second.status, second.body.toString()]).toEqual([404, 'none']);
    const third = await connection.send(request);
    expect([third.status, third.body.length]).toEqual([200, 0]);
    connection.close();
  });

  it('refuses a response without Content-Length', async () => {
    const port = await serve([Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n')], 5);
    const connection = await KeepAliveConnection.open('127.0.0.1', port);
    await expect(connection.send(getRequest('127.0.0.1', port, '/', {}))).rejects.toThrow(/no Content-Length/);
    connection.close();
  });
});

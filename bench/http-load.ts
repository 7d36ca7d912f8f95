// A minimal HTTP/1.1 keep-alive client for the load generator. node:http costs about 0.3 ms of CPU per request,
// and on a 2-core machine the load generator shares the cores with the system it measures: its cost would show up
// as the function's latency. This client writes a prepared request and reads one Content-Length response per call,
// one request at a time per connection (no pipelining), and checks the status.
import net from 'node:net';

export interface HttpResponse {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class KeepAliveConnection {
  private readonly socket: net.Socket;
  /** What arrived and is not part of a resolved response yet, in chunks: joined once a response is whole. */
  private chunks: Buffer[] = [];
  private bufferedLength = 0;
  /** The current response's head, once read: its status and the bytes it takes with its body. */
  private head: { status: number; bodyStart: number; total: number } | null = null;
  private pending: { resolve: (r: HttpResponse) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.bufferedLength += chunk.length;
      this.drain();
    });
    const fail = (error: Error) => {
      this.failure = error;
      this.pending?.reject(error);
      this.pending = null;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection')));
  }

  static open(host: string, port: number): Promise<KeepAliveConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => {
        socket.off('error', reject);
        resolve(new KeepAliveConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends a complete request (request line, headers, optional body) and resolves with its response. */
  send(request: Buffer): Promise<HttpResponse> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('one request at a time per connection'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private drain(): void {
    if (!this.pending) return;
    if (!this.head) {
      const buffered = this.joined();
      const end = buffered.indexOf(HEADER_END);
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) {
        this.pending.reject(new Error(`the response has no Content-Length: ${head.split('\r\n')[0]}`));
        this.pending = null;
        return;
      }
      const bodyStart = end + HEADER_END.length;
      this.head = { status: Number(head.slice(9, 12)), bodyStart, total: bodyStart + Number(length[1]) };
    }
    // A body of a few hundred kB arrives in many chunks: they are joined once, when all of it is there.
    if (this.bufferedLength < this.head.total) return;
    const buffered = this.joined();
    const { status, bodyStart, total } = this.head;
    const body = buffered.subarray(bodyStart, total);
    const rest = buffered.subarray(total);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.bufferedLength = rest.length;
    this.head = null;
    const { resolve } = this.pending;
    this.pending = null;
    resolve({ status, body });
  }

  /** Everything buffered as one Buffer (kept as the only chunk). */
  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.bufferedLength)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}

/** A GET request with the given headers, as bytes. */
export function getRequest(host: string, port: number, path: string, headers: Record<string, string>): Buffer {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `host: ${host}:${port}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

// A small HTTP server for one simulated vendor API: the vendor's routes behind the fault control, plus a control API
// under /__control for tests and people:
//   GET  /__control            faults, dataset and counters
//   POST /__control/faults     JSON FaultSettings (fault-control.ts), merged
//   POST /__control/data       JSON DatasetSettings (dataset.ts), merged
//   POST /__control/reset      no faults, no latency, empty request log
//   GET  /__control/requests   the request log
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dataset } from './dataset.ts';
import { FaultControl, type RequestKind } from './fault-control.ts';

export interface SimRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Who the request was authorised as (a token, key or client id it accepts), for the request log; never sent. */
  credential?: string;
}

export interface VendorApi {
  name: string;
  classify(method: string, path: string): RequestKind;
  handle(request: SimRequest): SimResponse;
  dataset: Dataset<unknown>;
}

export interface SimulatedServerOptions {
  /** 0 (default): any free port. */
  port?: number;
  host?: string;
  /** The server's clock (rate limit windows, Retry-After, the request log). */
  now?: () => number;
  latencyMs?: number | [number, number];
  random?: () => number;
}

export interface SimulatedServer {
  name: string;
  url: string;
  port: number;
  control: FaultControl;
  dataset: Dataset<unknown>;
  stop(): Promise<void>;
}

const MAX_BODY = 1_000_000;

export async function startSimulatedServer(
  api: VendorApi,
  options: SimulatedServerOptions = {},
): Promise<SimulatedServer> {
  const control = new FaultControl(options.now ?? Date.now);
  if (options.latencyMs !== undefined) control.set({ latencyMs: options.latencyMs });
  const random = options.random ?? Math.random;
  const host = options.host ?? '127.0.0.1';

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const request: SimRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', `http://${req.headers.host ?? `${host}`}`),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      if (size > MAX_BODY) return send(res, { status: 413, body: { error: 'body too large' } });
      if (request.url.pathname.startsWith('/__control')) return send(res, controlRoute(request, control, api.dataset));
      serveVendor(request, res);
    });
  });

  function serveVendor(request: SimRequest, res: ServerResponse): void {
    const kind = api.classify(request.method, request.url.pathname);
    const duringRetryAfter = control.inRetryAfterWindow();
    const decision = control.decide(kind);
    const entry = { method: request.method, path: request.url.pathname, kind, duringRetryAfter };
    if (decision.kind === 'hang') {
      control.record({ ...entry, status: 'hung' });
      return; // never answered; the socket closes when the client gives up or the server stops
    }
    let response: SimResponse;
    if (decision.kind === 'status') {
      response = {
        status: decision.status,
        headers: decision.retryAfterSeconds !== undefined ? { 'retry-after': String(decision.retryAfterSeconds) } : {},
        body: { error: decision.status === 429 ? 'Too Many Requests' : 'Service Unavailable' },
      };
    } else {
      try {
        response = api.handle(request);
      } catch {
        response = { status: 500, body: { error: 'internal error' } };
      }
    }
    control.record({ ...entry, status: response.status, credential: response.credential ?? null });
    const [min, max] = control.latency;
    const delay = min + Math.round((max - min) * random());
    if (delay > 0) setTimeout(() => send(res, response, request.method === 'HEAD'), delay);
    else send(res, response, request.method === 'HEAD');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name: api.name,
    url: `http://${host}:${port}`,
    port,
    control,
    dataset: api.dataset,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, response: SimResponse, head = false): void {
  if (res.destroyed || res.writableEnded) return;
  const body = response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...response.headers,
  });
  res.end(head ? undefined : body);
}

function controlRoute(request: SimRequest, control: FaultControl, dataset: Dataset<unknown>): SimResponse {
  const path = request.url.pathname;
  const state = () => ({ faults: control.snapshot(), dataset: dataset.snapshot() });
  try {
    if (request.method === 'GET' && path === '/__control') return { status: 200, body: state() };
    if (request.method === 'GET' && path === '/__control/requests') return { status: 200, body: control.log };
    if (request.method === 'POST' && path === '/__control/reset') {
      control.reset();
      return { status: 200, body: state() };
    }
    if (request.method === 'POST' && (path === '/__control/faults' || path === '/__control/data')) {
      const settings = JSON.parse(request.body || '{}') as unknown;
      if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
        throw new Error('expected a JSON object');
      if (path === '/__control/faults') control.set(settings);
      else dataset.set(settings);
      return { status: 200, body: state() };
    }
    return { status: 404, body: { error: 'no such control route' } };
  } catch (error) {
    return { status: 400, body: { error: error instanceof Error ? error.message : 'bad request' } };
  }
}

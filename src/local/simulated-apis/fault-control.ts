// The faults a simulated API can be told to show, and the log of what it was asked. Tests set them in-process
// (server.control) or over HTTP (POST /__control/faults); `npm start` runs with realistic latency and no faults.
// Time comes from the server's clock option, so tests with an injected clock see Retry-After in their own time.

/** Which requests a fault applies to. */
export type Scope = 'any' | 'data' | 'health' | 'auth';
export type RequestKind = 'data' | 'health' | 'auth' | 'other';

export interface FaultSettings {
  /** Delay before every answer, fixed or [min, max] (wall-clock milliseconds). */
  latencyMs?: number | [number, number];
  /** The next `count` requests get 429 with Retry-After. */
  rateLimitNext?: { count: number; retryAfterSeconds: number; on?: Scope };
  /** The next `count` requests fail with `status` (default 503); `after`: let that many through first (mid-sync). */
  errorBurst?: { count: number; status?: number; on?: Scope; after?: number };
  /** The next `count` requests never get an answer (the client's timeout must fire). */
  hangNext?: { count: number; on?: Scope };
  /** Every request answers 503 until set back to false. */
  down?: boolean;
  /** A real rate limit by the server's clock: `requests` per `perSeconds`, else 429 with the exact Retry-After. */
  limit?: { requests: number; perSeconds: number; on?: Scope } | null;
}

export type Decision =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'hang' };

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  kind: RequestKind;
  status: number | 'hung';
  /** True when it came while a Retry-After we sent had not yet run out. */
  duringRetryAfter: boolean;
  /** Who it was authorised as (one of the credentials the API accepts), or null: refused, or none needed. */
  credential?: string | null;
}

interface Counted {
  count: number;
  on: Scope;
}

function applies(scope: Scope, kind: RequestKind): boolean {
  return scope === 'any' || scope === kind;
}

function validCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number >= 0`);
  return value;
}

export class FaultControl {
  latency: [number, number] = [0, 0];
  private rateLimitNext: (Counted & { retryAfterSeconds: number }) | null = null;
  private errorBurst: (Counted & { status: number; after: number }) | null = null;
  private hangNext: Counted | null = null;
  private down = false;
  private limit: { requests: number; perSeconds: number; on: Scope } | null = null;
  private windowHits: number[] = [];
  private retryAfterUntil = 0;
  readonly log: LoggedRequest[] = [];

  constructor(readonly now: () => number = Date.now) {}

  /** Merges settings (bad settings throw and change nothing). */
  set(settings: FaultSettings): void {
    const next = {
      latency: this.latency,
      rateLimitNext: this.rateLimitNext,
      errorBurst: this.errorBurst,
      hangNext: this.hangNext,
      down: this.down,
      limit: this.limit,
    };
    if (settings.latencyMs !== undefined) {
      const [min, max] = Array.isArray(settings.latencyMs)
        ? settings.latencyMs
        : [settings.latencyMs, settings.latencyMs];
      next.latency = [validCount(min, 'latencyMs'), validCount(max, 'latencyMs')];
      if (next.latency[1] < next.latency[0]) throw new Error('latencyMs: max is below min');
    }
    if (settings.rateLimitNext !== undefined) {
      const s = settings.rateLimitNext;
      next.rateLimitNext = {
        count: validCount(s.count, 'rateLimitNext.count'),
        retryAfterSeconds: validCount(s.retryAfterSeconds, 'rateLimitNext.retryAfterSeconds'),
        on: s.on ?? 'any',
      };
    }
    if (settings.errorBurst !== undefined) {
      const s = settings.errorBurst;
      const status = s.status ?? 503;
      if (!Number.isInteger(status) || status < 400 || status > 599)
        throw new Error('errorBurst.status must be 400-599');
      next.errorBurst = {
        count: validCount(s.count, 'errorBurst.count'),
        status,
        on: s.on ?? 'any',
        after: validCount(s.after ?? 0, 'errorBurst.after'),
      };
    }
    if (settings.hangNext !== undefined) {
      next.hangNext = {
        count: validCount(settings.hangNext.count, 'hangNext.count'),
        on: settings.hangNext.on ?? 'any',
      };
    }
    if (settings.down !== undefined) {
      if (typeof settings.down !== 'boolean') throw new Error('down must be true or false');
      next.down = settings.down;
    }
    if (settings.limit !== undefined) {
      const s = settings.limit;
      next.limit =
        s === null
          ? null
          : {
              requests: validCount(s.requests, 'limit.requests'),
              perSeconds: validCount(s.perSeconds, 'limit.perSeconds'),
              on: s.on ?? 'any',
            };
    }
    Object.assign(this, next);
  }

  /** No faults, no latency, an empty log. */
  reset(): void {
    this.latency = [0, 0];
    this.rateLimitNext = this.errorBurst = this.hangNext = this.limit = null;
    this.down = false;
    this.windowHits = [];
    this.retryAfterUntil = 0;
    this.log.length = 0;
  }

  /** What to do with a request of this kind now (in precedence order: down, hang, burst, 429, limit). */
  decide(kind: RequestKind): Decision {
    const now = this.now();
    if (this.down) return { kind: 'status', status: 503 };
    if (this.take(this.hangNext, kind)) return { kind: 'hang' };
    const burst = this.errorBurst;
    if (burst && burst.after > 0 && burst.count > 0 && applies(burst.on, kind)) burst.after -= 1;
    else if (burst && this.take(burst, kind)) return { kind: 'status', status: burst.status };
    if (this.rateLimitNext && this.take(this.rateLimitNext, kind)) {
      return this.tooMany(now, this.rateLimitNext.retryAfterSeconds);
    }
    const limit = this.limit;
    if (limit && applies(limit.on, kind)) {
      const windowMs = limit.perSeconds * 1000;
      this.windowHits = this.windowHits.filter((at) => at > now - windowMs);
      if (this.windowHits.length >= limit.requests) {
        const oldest = this.windowHits[0] ?? now;
        return this.tooMany(now, Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)));
      }
      this.windowHits.push(now);
    }
    return { kind: 'pass' };
  }

  /** Whether a Retry-After we sent is still running: ask on arrival, before decide(). */
  inRetryAfterWindow(): boolean {
    return this.now() < this.retryAfterUntil;
  }

  record(entry: Omit<LoggedRequest, 'at'>): void {
    this.log.push({ at: this.now(), ...entry });
  }

  /** Requests that came while a Retry-After we sent was still running (a client that does not listen). */
  retryAfterViolations(): number {
    return this.log.filter((entry) => entry.duringRetryAfter).length;
  }

  /** The credentials requests were authorised with, each once, in the order first seen. */
  credentialsSeen(): string[] {
    return [...new Set(this.log.flatMap((entry) => (entry.credential ? [entry.credential] : [])))];
  }

  count(kind?: RequestKind): number {
    return kind ? this.log.filter((entry) => entry.kind === kind).length : this.log.length;
  }

  snapshot() {
    return {
      latencyMs: this.latency,
      rateLimitNext: this.rateLimitNext,
      errorBurst: this.errorBurst,
      hangNext: this.hangNext,
      down: this.down,
      limit: this.limit,
      requests: this.log.length,
      retryAfterViolations: this.retryAfterViolations(),
    };
  }

  private tooMany(now: number, retryAfterSeconds: number): Decision {
    this.retryAfterUntil = Math.max(this.retryAfterUntil, now + retryAfterSeconds * 1000);
    return { kind: 'status', status: 429, retryAfterSeconds };
  }

  private take(counted: Counted | null, kind: RequestKind): boolean {
    if (!counted || counted.count <= 0 || !applies(counted.on, kind)) return false;
    counted.count -= 1;
    return true;
  }
}

// Holds the sync-run-log function to its own OpenAPI 3.1 document: every response to a documented operation (found
// by method and path) must have a status the operation lists, a body its schema accepts (Ajv's JSON Schema 2020-12
// validator with ajv-formats, strict), an error code its `x-error-codes` list, and the headers it requires. A 2xx
// also proves the request it answered: its query parameters and body must be ones the document accepts (no body
// only where the document says the body is optional), so the document is no stricter than the function either.
// Requests to no documented operation (an unknown path, a 405) are outside the document and not checked.
// harness.ts's call() runs this on every sync-run-log response.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

type Json = Record<string, unknown>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const COMPONENTS_ID = 'urn:sync-run-log:components';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export interface CheckedRequest {
  method: string;
  url: string;
  body?: unknown;
}

export interface CheckedResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface FoundOperation {
  template: string;
  method: string;
  operation: Json;
}

/** The document's paths are under the function: /functions/v1/sync-run-log/runs -> /runs (null: not the function). */
export function functionPathOf(url: string): string | null {
  const { pathname } = new URL(url);
  const at = pathname.indexOf('/sync-run-log');
  if (at < 0) return null;
  const rest = pathname.slice(at + '/sync-run-log'.length);
  if (rest !== '' && !rest.startsWith('/')) return null;
  const path = rest.length > 1 && rest.endsWith('/') ? rest.slice(0, -1) : rest;
  return path === '' ? '/' : path;
}

export class OpenApiChecker {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    this.ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats(this.ajv);
    const schemas = ((document.components as Json | undefined)?.schemas ?? {}) as Json;
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(schemas, '#/$defs/') });
  }

  /** Compiles every named schema: a schema Ajv refuses (strict mode) fails here. */
  compileAll(): string[] {
    const names = Object.keys(((this.document.components as Json).schemas ?? {}) as Json);
    for (const name of names) this.validator({ $ref: `#/components/schemas/${name}` });
    return names;
  }

  /**
   * The documented operation of a method and path under the function. As OpenAPI matches paths, the path is the
   * template with the fewest parameters that matches it, whatever the method: PATCH /runs/latest is /runs/latest's
   * (which has no PATCH: outside the document), not /runs/{id}'s.
   */
  find(method: string, path: string): FoundOperation | null {
    // Methods are case-sensitive on the wire: the router serves `PATCH`, never `patch`.
    if (method !== method.toUpperCase() || !METHODS.includes(method.toLowerCase())) return null;
    const segments = path.split('/').filter(Boolean);
    const paths = this.document.paths as Record<string, Json>;
    let best: { template: string; item: Json; params: number } | null = null;
    for (const [template, item] of Object.entries(paths)) {
      const parts = template.split('/').filter(Boolean);
      if (parts.length !== segments.length) continue;
      if (!parts.every((part, i) => /^\{.+\}$/.test(part) || part === segments[i])) continue;
      const params = parts.filter((part) => part.startsWith('{')).length;
      if (!best || params < best.params) best = { template, item, params };
    }
    const operation = best?.item[method.toLowerCase()] as Json | undefined;
    return best && operation ? { template: best.template, method: method.toLowerCase(), operation } : null;
  }

  /** Throws, saying what does not match, when the response (or a 2xx's request) breaks the document. */
  check(request: CheckedRequest, response: CheckedResponse): FoundOperation | null {
    const path = functionPathOf(request.url);
    if (path === null) return null;
    const found = this.find(request.method, path);
    if (!found) return null;
    const where = `${request.method.toUpperCase()} ${found.template} -> ${response.status}`;
    const responses = found.operation.responses as Record<string, Json>;
    const described = responses[String(response.status)];
    if (!described) {
      throw new Error(`${where}: the document does not describe this status (it has ${Object.keys(responses)})`);
    }
    this.checkHeaders(where, described, response.headers);
    const content = described.content as Record<string, { schema: Json }> | undefined;
    if (content) {
      const type = response.headers.get('content-type') ?? '';
      if (!type.startsWith('application/json')) throw new Error(`${where}: content-type ${type}, not JSON`);
      const schema = content['application/json']?.schema as Json;
      this.validate(where, 'body', schema, response.body);
      const codes = described['x-error-codes'] as string[] | undefined;
      const code = (response.body as { error?: { code?: string } } | null)?.error?.code;
      if (codes && !codes.includes(code as string)) {
        throw new Error(`${where}: error code ${code} is not one of its x-error-codes (${codes.join(', ')})`);
      }
    } else if (response.body !== null && response.body !== '') {
      throw new Error(`${where}: a body where the document describes none: ${JSON.stringify(response.body)}`);
    }
    if (response.status >= 200 && response.status < 300) this.checkRequest(where, found.operation, request);
    return found;
  }

  private checkHeaders(where: string, described: Json, headers: Headers): void {
    for (const [name, header] of Object.entries((described.headers ?? {}) as Record<string, Json>)) {
      const resolved = this.resolve(header);
      if (resolved.required === true && !headers.has(name)) throw new Error(`${where}: no ${name} header`);
    }
  }

  private checkRequest(where: string, operation: Json, request: CheckedRequest): void {
    const parameters = ((operation.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
    const query = new URL(request.url).searchParams;
    for (const name of new Set(query.keys())) {
      if (!parameters.some((p) => p.name === name)) {
        throw new Error(`${where}: the request's query parameter ${name} is not in the document`);
      }
    }
    for (const parameter of parameters) {
      const value = query.get(parameter.name as string);
      if (value === null) {
        if (parameter.required) throw new Error(`${where}: the document requires query parameter ${parameter.name}`);
        continue;
      }
      const schema = parameter.schema as Json;
      const typed = schema.type === 'integer' && /^\d+$/.test(value) ? Number(value) : value;
      this.validate(where, `query.${parameter.name}`, schema, typed);
    }
    const requestBody = operation.requestBody as Json | undefined;
    const body = requestBody?.content as Record<string, { schema: Json }> | undefined;
    if (body) {
      // No body at all (or a blank one, which the function reads as none) is what an optional body allows.
      const none = request.body === undefined || (typeof request.body === 'string' && request.body.trim() === '');
      if (none) {
        if (requestBody?.required !== false) throw new Error(`${where}: the document requires a request body`);
        return;
      }
      const sent = typeof request.body === 'string' ? JSON.parse(request.body) : request.body;
      this.validate(where, 'the request body', body['application/json']?.schema as Json, sent);
    }
  }

  private validate(where: string, what: string, schema: Json, value: unknown): void {
    const validate = this.validator(schema);
    if (!validate(value)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
      throw new Error(`${where}: ${what} does not match the document: ${errors.join('; ')}\n${JSON.stringify(value)}`);
    }
  }

  private validator(schema: Json): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema, `${COMPONENTS_ID}#/$defs/`) as Json);
      this.validators.set(key, validate);
    }
    return validate;
  }

  private resolve(item: Json): Json {
    const target = item.$ref;
    if (typeof target !== 'string') return item;
    let node: unknown = this.document;
    for (const part of target.replace(/^#\//, '').split('/')) node = (node as Json)[part];
    return node as Json;
  }
}

/** A copy with every `#/components/schemas/<name>` reference pointing to `<prefix><name>`. */
function rewriteRefs(value: unknown, prefix: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, prefix));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string'
        ? item.replace('#/components/schemas/', prefix)
        : rewriteRefs(item, prefix),
    ]),
  );
}

const checkers = new Map<string, Promise<OpenApiChecker>>();

/** The checker of the function a URL belongs to, from the document that function serves (fetched once per base). */
export function checkerFor(url: string): Promise<OpenApiChecker> | null {
  if (functionPathOf(url) === null) return null;
  const { origin, pathname } = new URL(url);
  const at = pathname.indexOf('/sync-run-log');
  if (at < 0) return null;
  const base = `${origin}${pathname.slice(0, at)}/sync-run-log`;
  let checker = checkers.get(base);
  if (!checker) {
    checker = fetch(`${base}/openapi.json`).then(async (response) => {
      if (response.status !== 200) throw new Error(`GET ${base}/openapi.json answered ${response.status}`);
      return new OpenApiChecker((await response.json()) as Json);
    });
    checkers.set(base, checker);
    checker.catch(() => checkers.delete(base));
  }
  return checker;
}

/** A fetch that checks each sync-run-log answer as call() does: for clients that bring their own (supabase-js). */
export const checkingFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const body = typeof init?.body === 'string' ? init.body : undefined;
  const response = await fetch(request);
  const checker = checkerFor(request.url);
  if (checker) {
    const text = await response.clone().text();
    const json = response.headers.get('content-type')?.startsWith('application/json') && text ? JSON.parse(text) : null;
    (await checker).check(
      { method: request.method, url: request.url, body },
      { status: response.status, headers: response.headers, body: json ?? (text === '' ? null : text) },
    );
  }
  return response;
};

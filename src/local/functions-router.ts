// Run by Deno (src/local/functions-host.ts starts it): serves every Edge Function that has a
// supabase/functions/<name>/handler.ts at http://127.0.0.1:$FUNCTIONS_PORT/functions/v1/<name>, as the Supabase
// gateway does. A new function is picked up by creating its handler.ts (exporting `handler` or a default handler).
// With the local stack's ES256 signing (AUTH_SIGNING=es256), it also serves the key set the functions were given, at
// /auth/v1/.well-known/jwks.json, where Supabase Auth publishes it.
type Handler = (request: Request) => Response | Promise<Response>;

const functionsDir = new URL('../../supabase/functions/', import.meta.url);
const port = Number(Deno.env.get('FUNCTIONS_PORT') || '54321');
const handlers = new Map<string, Handler>();
const jwks = Deno.env.get('SUPABASE_JWKS') || null;

for await (const entry of Deno.readDir(functionsDir)) {
  if (!entry.isDirectory || entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
  const file = new URL(`${entry.name}/handler.ts`, functionsDir);
  try {
    await Deno.stat(file);
  } catch {
    continue;
  }
  const module = await import(file.href);
  const handler = (module.handler ?? module.default) as Handler | undefined;
  if (typeof handler !== 'function') throw new Error(`${entry.name}/handler.ts exports no handler`);
  handlers.set(entry.name, handler);
}

// The Node process that started this router holds the other end of stdin. When that process dies, even by SIGKILL,
// the pipe closes: exit then, so that no orphaned router keeps the port from the next start.
(async () => {
  for await (const _ of Deno.stdin.readable) {
    // nothing is ever sent; the loop ends at end of file
  }
  Deno.exit(0);
})();

function notFound(request: Request, message: string): Response {
  const given = request.headers.get('x-request-id');
  return new Response(JSON.stringify({ error: { code: 'not_found', message } }), {
    status: 404,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'access-control-allow-origin': '*',
      'x-request-id': given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : crypto.randomUUID(),
    },
  });
}

Deno.serve(
  {
    hostname: '127.0.0.1',
    port,
    onListen: ({ port: listening }) => {
      console.log(
        JSON.stringify({ msg: 'functions listening', port: listening, functions: [...handlers.keys()].sort() }),
      );
    },
  },
  (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/auth/v1/.well-known/jwks.json' && jwks) {
      return new Response(jwks, { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=600' } });
    }
    const match = /^\/functions\/v1\/([^/?#]+)/.exec(pathname);
    const handler = match ? handlers.get(match[1] as string) : undefined;
    if (!handler)
      return notFound(request, match ? `no function ${match[1]}` : 'functions live under /functions/v1/<name>');
    return handler(request);
  },
);

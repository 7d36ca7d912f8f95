// The ports `npm start` will listen on, checked before it starts anything: a port another program holds (often
// another npm start) is named with the variable that moves it, in one message, before the database starts, the
// migrations run or the demo org is seeded. Each part still reports its own port should it be taken in between.
import { createServer } from 'node:net';

export interface PortClaim {
  port: number;
  /** The environment variable that sets it. */
  variable: string;
}

/** null when the port can be listened on (on 127.0.0.1, where the stack listens), else the error's code. */
function listenError(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'EUNKNOWN'));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(null)));
  });
}

/** Refuses, naming every taken port and its variable, when any of the claims cannot be had. */
export async function checkPortsFree(claims: PortClaim[]): Promise<void> {
  const taken: PortClaim[] = [];
  for (const claim of claims) {
    const code = await listenError(claim.port);
    if (code === 'EADDRINUSE') taken.push(claim);
    else if (code === 'EACCES') {
      throw new Error(`port ${claim.port} (${claim.variable}) needs privileges this user lacks: set it above 1023`);
    } else if (code !== null) throw new Error(`port ${claim.port} (${claim.variable}) cannot be listened on: ${code}`);
  }
  if (taken.length === 0) return;
  const each = taken.map(({ port, variable }) => `port ${port} (${variable})`).join(', ');
  const variables = taken.map((claim) => claim.variable).join(', ');
  throw new Error(
    taken.length === 1
      ? `${each} is taken, by another npm start or another program: stop it, or set ${variables} to a free port`
      : `${each} are taken, by another npm start or another program: stop it, or set ${variables} to free ports`,
  );
}

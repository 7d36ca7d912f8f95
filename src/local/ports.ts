// The ports `npm start` will listen on, checked before it starts anything: a port another program holds (often
// another npm start) is named with the variable that moves it, in one message, before the database starts, the
// migrations run or the demo org is seeded. Each part still reports its own port should it be taken in between.
import { createServer } from 'node:net';

export interface PortClaim {
  port: number;
  /** The environment variable that sets it. */
  variable: string;
}

/** Whether nothing listens on the port (on 127.0.0.1, where the stack listens; a wildcard listener counts). */
function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Refuses, naming every taken port and its variable, when any of the claims cannot be had. */
export async function checkPortsFree(claims: PortClaim[]): Promise<void> {
  const taken: PortClaim[] = [];
  for (const claim of claims) if (!(await free(claim.port))) taken.push(claim);
  if (taken.length === 0) return;
  const each = taken.map(({ port, variable }) => `port ${port} (${variable})`).join(', ');
  const variables = taken.map((claim) => claim.variable).join(', ');
  throw new Error(
    taken.length === 1
      ? `${each} is taken, by another npm start or another program: stop it, or set ${variables} to a free port`
      : `${each} are taken, by another npm start or another program: stop it, or set ${variables} to free ports`,
  );
}

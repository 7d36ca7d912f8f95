// One call to the database, asked again after each of `delays` while the database could not answer it
// (`unavailable`); any other error is thrown at once. `retried` says an earlier attempt got no answer, which may
// have committed: the tick reads what such an attempt recorded, a claim asks again under its own id.
import { SyncRunLogError } from '../errors.ts';

export async function retryWhileUnavailable<T>(
  delays: readonly number[],
  call: () => Promise<T>,
): Promise<{ value: T; retried: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await call(), retried: attempt > 0 };
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined || !(error instanceof SyncRunLogError && error.code === 'unavailable')) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

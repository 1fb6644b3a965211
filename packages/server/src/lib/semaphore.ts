import { AppError } from './app-error.ts';

/**
 * Bounds concurrent work (password hashing). Callers beyond `maxQueue` waiting are refused at
 * once, so a flood of logins costs memory for at most `limit` hashes.
 */
export function createSemaphore(limit: number, maxQueue: number) {
  let active = 0;
  const queue: Array<() => void> = [];
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (active >= limit) {
        if (queue.length >= maxQueue) {
          throw new AppError('auth.busy', 'The server is busy; try again shortly.', { retryAfter: 1 });
        }
        await new Promise<void>((resolve) => queue.push(resolve));
      } else {
        active++;
      }
      try {
        return await fn();
      } finally {
        const next = queue.shift();
        if (next) next();
        else active--;
      }
    },
    get active() {
      return active;
    },
  };
}

/**
 * Bounds on provider calls: at most `concurrency` in flight (a fixed pool of workers pulling from one queue)
 * and at most `ratePerSecond` started (calls are spaced evenly; the gateways' query APIs rate-limit per merchant).
 */
export interface RateGate {
  /** resolves when the next call may start */
  take(): Promise<void>;
}

export function createRateGate(ratePerSecond: number, sleep: (ms: number) => Promise<void>, clock: () => number = () => performance.now()): RateGate {
  if (!(ratePerSecond > 0)) return { take: async () => {} };
  const interval = 1000 / ratePerSecond;
  let next = clock();
  return {
    async take() {
      const now = clock();
      const slot = Math.max(now, next);
      next = slot + interval;
      if (slot > now) await sleep(slot - now);
    },
  };
}

/**
 * Runs `work` over the items `pull` yields, `concurrency` at a time, until `pull` returns null (nothing left or
 * the budget is spent). `pull` is called by one worker at a time, so it may page through a database cursor.
 */
export async function runPool<T>(concurrency: number, pull: () => Promise<T | null>, work: (item: T) => Promise<void>): Promise<void> {
  let pulling: Promise<unknown> = Promise.resolve();
  const next = (): Promise<T | null> => {
    const p = pulling.then(pull);
    pulling = p.catch(() => undefined);
    return p;
  };
  const worker = async () => {
    for (let item = await next(); item !== null; item = await next()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

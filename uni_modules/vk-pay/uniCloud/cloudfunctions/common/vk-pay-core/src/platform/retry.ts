/**
 * Retries for gateway calls: only failures a retry can fix (the caller's `isRetryable`: network errors and
 * timeouts, 5xx, 429, SYSTEM_ERROR / ACQ.SYSTEM_ERROR), with exponential backoff and full jitter
 * (delay = random() * min(cap, base * 2^n), AWS "full jitter"), all inside one time budget so a cloud function
 * never outlives its timeout. The attempt function receives the time left so it can bound its own HTTP timeout;
 * it must reuse the same idempotency keys (out_trade_no, out_refund_no) and body on every attempt.
 */
export interface RetryOptions {
  /** total time for all attempts and waits, ms */
  budgetMs: number;
  /** per-attempt cap, ms (the attempt gets min(this, time left)) */
  timeoutMs: number;
  isRetryable: (err: unknown) => boolean;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** below this much time left, another attempt is not started (default min(timeoutMs, 1000)): a starved
   * last attempt would only turn a real gateway error into a meaningless timeout */
  minAttemptMs?: number;
  /** monotonic clock, ms (injectable for tests) */
  clock?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** observer for logs/metrics: called before each wait */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export interface AttemptInfo {
  /** 1-based */
  attempt: number;
  /** the HTTP timeout this attempt should use */
  timeoutMs: number;
}

export const RETRY_DEFAULTS = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 } as const;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The backoff before attempt `attempt + 1`: full jitter over an exponentially growing ceiling. */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export async function withRetry<T>(run: (info: AttemptInfo) => Promise<T>, opts: RetryOptions): Promise<T> {
  const clock = opts.clock ?? (() => performance.now());
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? realSleep;
  const maxAttempts = opts.maxAttempts ?? RETRY_DEFAULTS.maxAttempts;
  const base = opts.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const cap = opts.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  const minAttempt = opts.minAttemptMs ?? Math.min(opts.timeoutMs, 1_000);
  const deadline = clock() + opts.budgetMs;

  for (let attempt = 1; ; attempt++) {
    const left = deadline - clock();
    try {
      return await run({ attempt, timeoutMs: Math.max(1, Math.floor(Math.min(opts.timeoutMs, left))) });
    } catch (err) {
      if (!opts.isRetryable(err) || attempt >= maxAttempts) throw err;
      const delayMs = backoffDelay(attempt, base, cap, random);
      // no time for the wait plus a useful attempt: fail now with the real error rather than a late timeout
      if (clock() + delayMs + minAttempt > deadline) throw err;
      opts.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs);
    }
  }
}

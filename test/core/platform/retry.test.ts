import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetry } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/retry';

/** A virtual clock: sleep advances it, so budgets are checked without real waiting. */
function virtualTime() {
  let t = 0;
  const sleeps: number[] = [];
  return { clock: () => t, sleep: async (ms: number) => { sleeps.push(ms); t += ms; }, advance: (ms: number) => { t += ms; }, sleeps };
}

class Retryable extends Error {}

describe('withRetry', () => {
  it('retries retryable failures and returns the first success; attempts see the same inputs', async () => {
    const v = virtualTime();
    const seen: number[] = [];
    const out = await withRetry(async ({ attempt }) => {
      seen.push(attempt);
      if (attempt < 3) throw new Retryable('503');
      return 'ok';
    }, { budgetMs: 10_000, timeoutMs: 1000, isRetryable: (e) => e instanceof Retryable, clock: v.clock, sleep: v.sleep, random: () => 0.5 });
    expect(out).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
    expect(v.sleeps).toEqual([50, 100]);
  });

  it('fails fast on a non-retryable error', async () => {
    const v = virtualTime();
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw new Error('400'); }, { budgetMs: 10_000, timeoutMs: 1000, isRetryable: (e) => e instanceof Retryable, clock: v.clock, sleep: v.sleep })).rejects.toThrow('400');
    expect(calls).toBe(1);
    expect(v.sleeps).toEqual([]);
  });

  it('stops inside the budget and throws the last real error', async () => {
    const v = virtualTime();
    let calls = 0;
    const err = await withRetry(async ({ timeoutMs }) => {
      calls++;
      expect(timeoutMs).toBeLessThanOrEqual(300);
      v.advance(100); // each attempt costs 100 ms
      throw new Retryable(`attempt ${calls}`);
    }, { budgetMs: 1000, timeoutMs: 300, maxAttempts: 100, baseDelayMs: 100, maxDelayMs: 400, isRetryable: () => true, clock: v.clock, sleep: v.sleep, random: () => 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(Retryable);
    expect(v.clock()).toBeLessThanOrEqual(1000);
    expect(calls).toBeGreaterThan(1);
    expect(err.message).toBe(`attempt ${calls}`);
  });

  it('gives each attempt a whole number of milliseconds, even on a fractional clock (AbortSignal.timeout refuses 951.57)', async () => {
    let t = 0.25;
    const timeouts: number[] = [];
    await withRetry(async ({ timeoutMs }) => {
      timeouts.push(timeoutMs);
      t += 100.3; // an attempt that takes a fraction of a millisecond more than 100
      throw new Retryable('busy');
    }, { budgetMs: 1_000, timeoutMs: 950, maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, minAttemptMs: 10, isRetryable: () => true, clock: () => t, sleep: async () => {}, random: () => 0 }).catch(() => undefined);
    expect(timeouts.length).toBeGreaterThan(1);
    expect(timeouts.some((ms) => ms < 950)).toBe(true); // the budget, not the cap, bounded a later attempt
    for (const ms of timeouts) expect(Number.isInteger(ms)).toBe(true);
  });

  it('respects maxAttempts', async () => {
    const v = virtualTime();
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw new Retryable('x'); }, { budgetMs: 1e9, timeoutMs: 10, maxAttempts: 3, isRetryable: () => true, clock: v.clock, sleep: v.sleep })).rejects.toThrow('x');
    expect(calls).toBe(3);
  });

  it('full jitter: delays stay within [0, min(cap, base*2^(n-1))) and vary with the random source', () => {
    expect(backoffDelay(1, 100, 2000, () => 0.999)).toBe(99);
    expect(backoffDelay(4, 100, 2000, () => 0.999)).toBe(799);
    expect(backoffDelay(10, 100, 2000, () => 0.999)).toBe(1998);
    expect(backoffDelay(3, 100, 2000, () => 0)).toBe(0);
    const samples = new Set(Array.from({ length: 50 }, () => backoffDelay(5, 100, 2000, Math.random)));
    expect(samples.size).toBeGreaterThan(10);
  });
});

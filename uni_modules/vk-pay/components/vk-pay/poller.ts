/**
 * Polls with a growing delay (1s, 2s, 3s, 5s, ... capped) until the task says stop or an overall timeout passes.
 * It can be paused while the page is hidden (the person is in the WeChat/Alipay sheet or another tab): no query
 * runs then, and on resume it queries at once and restarts the backoff, because the person usually returns right
 * after paying. Scheduling uses setTimeout only, so fake timers drive it in tests.
 */
export interface PollerOptions {
  /** delays before each attempt, ms; the last one repeats */
  schedule?: readonly number[];
  /** ceiling for any delay, ms */
  maxIntervalMs?: number;
  /** overall time from start() after which a non-final answer ends polling, ms */
  timeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_SCHEDULE: readonly number[] = [1000, 2000, 3000, 5000, 8000];
export const DEFAULT_MAX_INTERVAL_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** What one attempt concluded: stop (final answer or fatal error) or keep polling. */
export type PollVerdict = 'stop' | 'continue';

export class BackoffPoller {
  private readonly schedule: readonly number[];
  private readonly maxIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private attempt = 0;
  private startedAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight = false;
  private state: 'idle' | 'running' | 'paused' | 'stopped' = 'idle';

  constructor(
    private readonly task: () => Promise<PollVerdict>,
    private readonly onTimeout: () => void,
    options: PollerOptions = {},
  ) {
    this.schedule = options.schedule && options.schedule.length > 0 ? options.schedule : DEFAULT_SCHEDULE;
    this.maxIntervalMs = options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  get status(): 'idle' | 'running' | 'paused' | 'stopped' {
    return this.state;
  }

  /** The delay before attempt `n` (0-based). */
  delayFor(n: number): number {
    const d = this.schedule[Math.min(n, this.schedule.length - 1)];
    return Math.min(d, this.maxIntervalMs);
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.startedAt = this.now();
    this.scheduleNext();
  }

  pause(): void {
    if (this.state !== 'running') return;
    this.state = 'paused';
    this.clearTimer();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.attempt = 0;
    // An attempt still in flight from before the pause will schedule the next one when it lands.
    if (!this.inFlight) void this.runAttempt();
  }

  stop(): void {
    this.state = 'stopped';
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private scheduleNext(): void {
    this.clearTimer();
    const delay = this.delayFor(this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runAttempt();
    }, delay);
  }

  private async runAttempt(): Promise<void> {
    if (this.state !== 'running' || this.inFlight) return;
    this.inFlight = true;
    let verdict: PollVerdict;
    try {
      verdict = await this.task();
    } catch {
      // The task maps its own errors to a verdict; anything escaping it is treated as transient.
      verdict = 'continue';
    } finally {
      this.inFlight = false;
    }
    // Read through the getter: the await above may have stopped or paused us.
    if (this.status === 'stopped') return;
    if (verdict === 'stop') {
      this.stop();
      return;
    }
    if (this.now() - this.startedAt >= this.timeoutMs) {
      this.stop();
      this.onTimeout();
      return;
    }
    if (this.status === 'running') this.scheduleNext();
  }
}

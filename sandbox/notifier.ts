/**
 * Delivers notifications the way the gateways do: POST to the notify_url, accepted only on the reply the
 * channel defines, otherwise retried on the official schedule (scaled by timeFactor) until it is used up.
 * Faults from the control API shape each attempt. Every timer is unref'd (the sandbox never keeps a process
 * alive by itself) and cancelled by close(); pending notifications survive a restart through the state file.
 */
import { randomUUID } from 'node:crypto';
import type { FaultSettings } from './faults';
import type { NotifyChannel, SandboxNotification, SandboxState } from './state';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

/** Intervals between attempts (docs/PROTOCOLS.md sections 2 and 4): 15 retries over 24h4m; 7 retries for Alipay. */
export const RETRY_SCHEDULES: Record<NotifyChannel, readonly number[]> = {
  wxpay: [15 * S, 15 * S, 30 * S, 3 * M, 10 * M, 20 * M, 30 * M, 30 * M, 30 * M, 60 * M, 3 * H, 3 * H, 3 * H, 6 * H, 6 * H],
  'wxpay-v2': [15 * S, 15 * S, 30 * S, 3 * M, 10 * M, 20 * M, 30 * M, 30 * M, 30 * M, 60 * M, 3 * H, 3 * H, 3 * H, 6 * H, 6 * H],
  alipay: [4 * M, 10 * M, 10 * M, 1 * H, 2 * H, 6 * H, 15 * H],
  // App Store Server Notifications V2: retried 1, 12, 24, 48 and 72 hours after the first attempt
  appleiap: [1 * H, 11 * H, 12 * H, 24 * H, 24 * H],
  // virtual payment delivery pushes: the same 15 retries (docs/PROTOCOLS.md section 12)
  'wxpay-virtual': [15 * S, 15 * S, 30 * S, 3 * M, 10 * M, 20 * M, 30 * M, 30 * M, 30 * M, 60 * M, 3 * H, 3 * H, 3 * H, 6 * H, 6 * H],
};

export interface OutgoingNotification {
  headers: Record<string, string>;
  body: string;
  /** the URL of this attempt when it differs from the notification's (WeChat message pushes sign in the query) */
  url?: string;
}

/** The channel's definition of "the merchant took it" (docs/PROTOCOLS.md sections 2-4). */
export function isAccepted(channel: NotifyChannel, status: number, body: string): boolean {
  if (channel === 'wxpay') return status === 200 || status === 204;
  if (channel === 'appleiap') return status === 200;
  if (channel === 'wxpay-virtual') {
    if (status !== 200) return false;
    try {
      return (JSON.parse(body) as { ErrCode?: unknown }).ErrCode === 0;
    } catch {
      return false;
    }
  }
  if (status !== 200) return false;
  if (channel === 'alipay') return body === 'success';
  return /<return_code>\s*(<!\[CDATA\[)?SUCCESS(\]\]>)?\s*<\/return_code>/.test(body);
}

export interface NotifierOptions {
  state: SandboxState;
  timeFactor: number;
  now: () => number;
  /** builds the signed request of one attempt; undefined when the order or refund has vanished (reset) */
  build: (n: SandboxNotification) => OutgoingNotification | undefined;
  /** per-attempt answer deadline; WeChat wants an answer within 5 s */
  deliveryTimeoutMs?: number;
}

export class Notifier {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly aborter = new AbortController();
  private closed = false;

  constructor(private readonly opts: NotifierOptions) {}

  raise(input: { channel: NotifyChannel; kind: SandboxNotification['kind']; order_key: string; refund_key?: string; url: string; faults: FaultSettings }): SandboxNotification {
    const now = this.opts.now();
    const n: SandboxNotification = {
      id: randomUUID(),
      event_id: randomUUID(),
      channel: input.channel,
      kind: input.kind,
      order_key: input.order_key,
      refund_key: input.refund_key,
      url: input.url,
      created_at: now,
      faults: { ...input.faults },
      attempts: [],
      next_at: now,
      state: 'pending',
    };
    this.opts.state.data.notifications[n.id] = n;
    void this.opts.state.save();
    this.schedule(n);
    return n;
  }

  /** After a restart: pick up every notification that was still being delivered. */
  resume(): void {
    for (const n of Object.values(this.opts.state.data.notifications)) if (n.state === 'pending') this.schedule(n);
  }

  /** Stops all timers (used by reset, which then forgets the notifications). */
  cancelAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelAll();
    this.aborter.abort();
    await Promise.allSettled([...this.running]);
  }

  /** Resolves once no attempt is in flight and nothing is pending (or `timeoutMs` passes: then false). */
  async settled(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pending = Object.values(this.opts.state.data.notifications).some((n) => n.state === 'pending');
      if (!pending && this.running.size === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 5).unref());
    }
  }

  private schedule(n: SandboxNotification): void {
    if (this.closed) return;
    const old = this.timers.get(n.id);
    if (old) clearTimeout(old);
    const wait = Math.max(0, n.next_at - this.opts.now());
    const timer = setTimeout(() => {
      this.timers.delete(n.id);
      const run = this.attempt(n).finally(() => this.running.delete(run));
      this.running.add(run);
    }, wait);
    timer.unref();
    this.timers.set(n.id, timer);
  }

  private async attempt(n: SandboxNotification): Promise<void> {
    if (n.state !== 'pending' || this.closed) return;
    const faults = n.faults;
    if (faults.delayMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, faults.delayMs);
        t.unref();
        this.aborter.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
      if (this.closed) return;
    }
    const index = n.attempts.length;
    const at = this.opts.now();
    let record: SandboxNotification['attempts'][number];
    if (index < (faults.drop ?? 0)) {
      record = { at, status: 0, accepted: false, note: `dropped (fault: drop ${faults.drop})` };
    } else if (faults.unreachable) {
      record = { at, status: 0, accepted: false, note: 'connection refused (fault: unreachable)' };
    } else {
      const out = this.opts.build(n);
      if (!out) {
        n.state = 'failed';
        void this.opts.state.save();
        return;
      }
      record = await this.post(n, out, 1 + (faults.duplicate ?? 0));
    }
    // Closed mid-attempt: leave it pending, so a restarted sandbox sends it again (at least once, like the gateways).
    if (this.closed) return;
    n.attempts.push(record);
    const schedule = RETRY_SCHEDULES[n.channel];
    if (record.accepted) {
      n.state = 'delivered';
    } else if (n.attempts.length > schedule.length) {
      n.state = 'failed';
    } else {
      n.next_at = this.opts.now() + Math.round(schedule[n.attempts.length - 1] * this.opts.timeFactor);
      this.schedule(n);
    }
    void this.opts.state.save();
  }

  /** Sends `copies` identical POSTs; the attempt counts as accepted when any copy was. */
  private async post(n: SandboxNotification, out: OutgoingNotification, copies: number): Promise<SandboxNotification['attempts'][number]> {
    const at = this.opts.now();
    let last = { at, status: 0, accepted: false, note: '' as string | undefined };
    let anyAccepted = false;
    for (let i = 0; i < copies; i++) {
      try {
        const signal = AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.opts.deliveryTimeoutMs ?? 5000)]);
        const res = await fetch(out.url ?? n.url, { method: 'POST', headers: out.headers, body: out.body, signal, redirect: 'manual' });
        const text = await res.text();
        const accepted = isAccepted(n.channel, res.status, text);
        anyAccepted ||= accepted;
        last = { at, status: res.status, accepted, note: accepted ? undefined : `reply: ${text.slice(0, 200)}` };
      } catch (err) {
        const note = this.aborter.signal.aborted ? 'aborted' : (err as Error).name === 'TimeoutError' ? 'no answer in time' : String((err as Error).cause ?? (err as Error).message);
        last = { at, status: 0, accepted: false, note };
      }
    }
    if (copies > 1) last.note = `${last.note ? `${last.note}; ` : ''}sent ${copies} copies (fault: duplicate ${copies - 1})`;
    return { ...last, accepted: anyAccepted };
  }
}

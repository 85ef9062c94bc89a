/**
 * The outbox: business hooks run at least once, outside the provider's 5 s wait where possible, retried with
 * backoff by the timer, dead-lettered with an alert after the last try, replayable by an admin.
 *
 * A hook is not a row of its own. It rides on the document whose move made it due (state/hook-status.ts): the
 * conditional update that makes an order paid also writes `hook_status` for onPaid, and the one that makes a
 * refund record succeed writes it for onRefunded. One move happens once, so one hook is owed once - with no
 * second write that a crash could separate from the first.
 *
 * Running a hook first CLAIMS it: a conditional update (due, pending or with a lapsed lease) that writes a
 * fresh lease token and pushes `hook_next_at` out by `hooks.leaseMs`. The runner renews the lease while the hook
 * runs, so a slow hook keeps it and a runner that died (a killed process) loses it one short lease later - not
 * after a long fixed one. When the move itself is made with `hooks.inline`, the same update already holds the
 * claim for the caller, who runs the hook right away without another round trip. Hooks must be idempotent
 * (vk-pay-hooks/recharge.js shows the pattern): a lease can lapse under a stalled runner.
 */
import { randomBytes } from 'node:crypto';
import { toVkPayError } from '../../../../../../common/errors';
import type { CoreContext } from '../services/context';
import { COLLECTIONS } from '../state/collections';
import { HOOK_TRANSITIONS, type CarriedHook, type HookStatus, type HookTransition } from '../state/hook-status';
import type { OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { raiseAlert } from './alerts';

export type HookEvent = 'paid' | 'refunded';

/** A hook owed on an order (paid) or on one of its refund records (refunded). */
export interface HookRef {
  event: HookEvent;
  out_trade_no: string;
  out_refund_no?: string;
  /** set when the move that made the hook due also claimed it for this caller */
  token?: string;
  /** what the hook is given, when the caller already has it (saves a read) */
  order?: OrderDoc;
  refund?: { out_refund_no: string; amount: number };
}

export type HookRunResult = 'done' | 'retry' | 'dead' | 'not_claimed';

const CARRIER = {
  paid: { dbName: COLLECTIONS.orders, key: (r: HookRef) => ({ out_trade_no: r.out_trade_no }) },
  refunded: { dbName: COLLECTIONS.refunds, key: (r: HookRef) => ({ out_refund_no: r.out_refund_no }) },
} as const;

type Carrier = CarriedHook & { out_trade_no: string; out_refund_no?: string; amount?: number; type?: string };

/** `<out_trade_no>:paid` or `<out_trade_no>:refunded:<out_refund_no>`, plus `#<token>` for a held claim. */
export function hookKey(ref: HookRef): string {
  const base = ref.event === 'paid' ? `${ref.out_trade_no}:paid` : `${ref.out_trade_no}:refunded:${ref.out_refund_no}`;
  return ref.token ? `${base}#${ref.token}` : base;
}

export function parseHookKey(key: string): HookRef | null {
  const [base, token] = key.split('#');
  const m = /^([^:]+):(paid|refunded)(?::(.+))?$/.exec(base ?? '');
  if (!m || (m[2] === 'refunded' && !m[3])) return null;
  return { event: m[2] as HookEvent, out_trade_no: m[1], out_refund_no: m[3], token: token || undefined };
}

function hookName(event: HookEvent): 'onPaid' | 'onRefunded' {
  return event === 'paid' ? 'onPaid' : 'onRefunded';
}

function hasHook(ctx: CoreContext, type: string, event: HookEvent): boolean {
  return typeof ctx.hooks.get(type)?.[hookName(event)] === 'function';
}

/**
 * A lease token: 12 random bytes in hex. Taken from a pool filled 4 KB at a time, as node's randomUUID does:
 * one synchronous randomBytes call per token cost a crypto job each, on every first delivery of a hooked order.
 */
const TOKEN_BYTES = 12;
let pool = Buffer.alloc(0);
let poolAt = 0;
function newToken(): string {
  if (poolAt + TOKEN_BYTES > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  const token = pool.toString('hex', poolAt, poolAt + TOKEN_BYTES);
  poolAt += TOKEN_BYTES;
  return token;
}

/**
 * The hook fields for the move that makes a hook due, to be written BY that move's conditional update. A type
 * without this hook owes nothing (done at once); with `hooks.inline` the claim is taken in the same write.
 */
export function owedHook(ctx: CoreContext, type: string, event: HookEvent): { fields: CarriedHook; token?: string } {
  const now = ctx.now();
  if (!hasHook(ctx, type, event)) return { fields: { hook_status: 'done', hook_attempts: 0, hook_done_at: now } };
  if (!ctx.config.hooks.inline) return { fields: { hook_status: 'pending', hook_attempts: 0, hook_next_at: now } };
  const token = newToken();
  return { token, fields: { hook_status: 'running', hook_lease: token, hook_attempts: 1, hook_next_at: now + ctx.config.hooks.leaseMs } };
}

/** One move of a hook through the table, conditional on its current status (and `where`). */
async function moveHook(ctx: CoreContext, ref: HookRef, t: HookTransition, where: Record<string, unknown>, set: Record<string, unknown>): Promise<number> {
  const _ = ctx.db.command;
  const { from, to } = HOOK_TRANSITIONS[t];
  const { dbName, key } = CARRIER[ref.event];
  return ctx.dao.update({ dbName, whereJson: { ...key(ref), ...where, hook_status: _.in([...from]) }, dataJson: { ...set, hook_status: to } });
}

async function claim(ctx: CoreContext, ref: HookRef): Promise<{ token: string; doc: Carrier } | null> {
  const _ = ctx.db.command;
  const now = ctx.now();
  const token = newToken();
  const { dbName, key } = CARRIER[ref.event];
  const doc = await ctx.dao.updateAndReturn<Carrier>({
    dbName,
    whereJson: { ...key(ref), hook_status: _.in([...HOOK_TRANSITIONS.claim.from]), hook_next_at: _.lte(now) },
    dataJson: { hook_status: HOOK_TRANSITIONS.claim.to, hook_lease: token, hook_next_at: now + ctx.config.hooks.leaseMs, hook_attempts: _.inc(1) },
  });
  return doc && doc.hook_lease === token ? { token, doc } : null;
}

/** Claims the hook (unless the ref holds the claim already), runs it once and records the outcome. */
export async function runHook(ctx: CoreContext, ref: HookRef): Promise<HookRunResult> {
  const { dbName, key } = CARRIER[ref.event];
  let token = ref.token;
  let doc: Carrier | null = null;
  if (token) {
    // A claim taken by the move itself: the document is only read when the caller could not pass it on.
    if (!ref.order || (ref.event === 'refunded' && !ref.refund)) {
      doc = await ctx.dao.findByWhereJson<Carrier>({ dbName, whereJson: { ...key(ref), hook_lease: token, hook_status: 'running' } });
      if (!doc) return 'not_claimed';
    }
  } else {
    const claimed = await claim(ctx, ref);
    if (!claimed) return 'not_claimed';
    ({ token, doc } = claimed);
  }
  const order = ref.order ?? (ref.event === 'paid' ? (doc as OrderDoc) : await findOrder(ctx, ref.out_trade_no));
  const attempts = doc?.hook_attempts ?? 1;
  const type = ref.event === 'paid' ? order?.type : doc?.type ?? order?.type;
  const refund = ref.event === 'refunded' ? ref.refund ?? { out_refund_no: String(doc?.out_refund_no), amount: Number(doc?.amount) } : undefined;
  const held = token as string;
  const lease = ctx.config.hooks.leaseMs;
  // Renew the claim while the hook runs: only a runner that stopped renewing (died) loses it.
  const heartbeat = setInterval(() => {
    void ctx.dao.update({ dbName, whereJson: { ...key(ref), hook_lease: held, hook_status: 'running' }, dataJson: { hook_next_at: ctx.now() + lease } })
      .catch(() => undefined);
  }, Math.max(50, Math.floor(lease / 3)));
  heartbeat.unref?.();
  try {
    if (!order) throw new Error(`order ${ref.out_trade_no} not found for its hook`);
    await invokeHook(ctx, { event: ref.event, order, refund, type: String(type), attempts });
    clearInterval(heartbeat);
    await moveHook(ctx, ref, 'finish', { hook_lease: held }, { hook_done_at: ctx.now(), hook_error: '' });
    return 'done';
  } catch (err) {
    clearInterval(heartbeat);
    const message = toVkPayError(err).message.slice(0, 500);
    if (attempts >= ctx.config.hooks.maxAttempts) {
      await moveHook(ctx, ref, 'bury', { hook_lease: held }, { hook_error: message });
      await raiseAlert(ctx, { kind: 'hook_dead_letter', out_trade_no: ref.out_trade_no, message: `${String(type)}.${hookName(ref.event)} failed ${attempts} times: ${message}` });
      return 'dead';
    }
    const schedule = ctx.config.hooks.backoffMs;
    const delay = schedule[Math.min(attempts - 1, schedule.length - 1)];
    await moveHook(ctx, ref, 'retry', { hook_lease: held }, { hook_next_at: ctx.now() + delay, hook_error: message });
    return 'retry';
  }
}

async function invokeHook(ctx: CoreContext, p: { event: HookEvent; order: OrderDoc; refund?: { out_refund_no: string; amount: number }; type: string; attempts: number }): Promise<void> {
  const hook = ctx.hooks.get(p.type);
  const fn = hook?.[hookName(p.event)];
  if (typeof fn !== 'function') return; // a type without this hook has nothing to run: done
  await fn.call(hook, { event: p.event, order: p.order, refund: p.refund, db: ctx.db, _: ctx.db.command, dao: ctx.dao, attempt: p.attempts, now: ctx.now() });
}

export interface RunDueHooksSummary { claimed: number; done: number; retried: number; dead: number; skipped: number }

/** The timer's part: run every due hook (orders' onPaid, then refunds' onRefunded), oldest first, within the budget. */
export async function runDueHooks(ctx: CoreContext, opts: { budgetMs?: number; limit?: number } = {}): Promise<RunDueHooksSummary> {
  const _ = ctx.db.command;
  const started = Date.now();
  const budget = opts.budgetMs ?? 20_000;
  const summary: RunDueHooksSummary = { claimed: 0, done: 0, retried: 0, dead: 0, skipped: 0 };
  for (const event of ['paid', 'refunded'] as const) {
    const due = await ctx.db.collection<Carrier>(CARRIER[event].dbName)
      .where({ hook_status: _.in(['pending', 'running'] satisfies HookStatus[]), hook_next_at: _.lte(ctx.now()) })
      .orderBy('hook_next_at', 'asc')
      .limit(opts.limit ?? 100)
      .get();
    for (const doc of due.data) {
      if (Date.now() - started > budget) return summary;
      const result = await runHook(ctx, { event, out_trade_no: doc.out_trade_no, out_refund_no: doc.out_refund_no });
      if (result === 'not_claimed') summary.skipped++;
      else {
        summary.claimed++;
        if (result === 'done') summary.done++;
        else if (result === 'retry') summary.retried++;
        else summary.dead++;
      }
    }
  }
  return summary;
}

/**
 * Admin replay: an order's dead-lettered (and, with includeDone, finished) hooks become due again and are run
 * now. Hooks are idempotent by contract, so replaying a finished one changes nothing twice.
 */
export async function replayHooks(ctx: CoreContext, p: { out_trade_no: string; includeDone?: boolean }): Promise<{ replayed: number; results: Record<string, HookRunResult> }> {
  const _ = ctx.db.command;
  const statuses = HOOK_TRANSITIONS.replay.from.filter((s) => p.includeDone || s !== 'done');
  const now = ctx.now();
  const reopen = { hook_status: 'pending', hook_attempts: 0, hook_next_at: now, hook_error: '' };
  const where = { out_trade_no: p.out_trade_no, hook_status: _.in([...statuses]) };
  await Promise.all([
    ctx.dao.update({ dbName: COLLECTIONS.orders, whereJson: where, dataJson: reopen }),
    ctx.dao.update({ dbName: COLLECTIONS.refunds, whereJson: where, dataJson: reopen }),
  ]);
  const [order, refunds] = await Promise.all([
    ctx.dao.findByWhereJson<Carrier>({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no: p.out_trade_no, hook_status: 'pending' } }),
    ctx.db.collection<Carrier>(COLLECTIONS.refunds).where({ out_trade_no: p.out_trade_no, hook_status: 'pending' }).limit(100).get(),
  ]);
  const refs: HookRef[] = [
    ...(order ? [{ event: 'paid' as const, out_trade_no: p.out_trade_no }] : []),
    ...refunds.data.map((r) => ({ event: 'refunded' as const, out_trade_no: p.out_trade_no, out_refund_no: r.out_refund_no })),
  ];
  const results: Record<string, HookRunResult> = {};
  for (const ref of refs) results[hookKey(ref)] = await runHook(ctx, ref);
  return { replayed: refs.length, results };
}

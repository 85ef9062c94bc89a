/**
 * The outbox: business hooks run at least once, outside the 5 s notification path, retried with backoff by the
 * timer, dead-lettered with an alert after the last try, replayable by an admin (docs/RELIABILITY.md section 6).
 *
 * One entry per effect, keyed uniquely (`<out_trade_no>:paid`, `<out_trade_no>:refunded:<out_refund_no>`), so
 * enqueueing is idempotent: fifty copies of a notification enqueue one entry. A run first CLAIMS the entry by a
 * conditional update (status pending/running with next_run_at <= now) that sets a fresh lease token and pushes
 * next_run_at out by the lease: only one runner at a time holds it, and a runner that crashes mid-hook loses its
 * lease, after which the entry is claimable again. The hook itself must therefore be idempotent (see
 * vk-pay-hooks/recharge.js for the pattern).
 */
import { randomBytes } from 'node:crypto';
import { toVkPayError } from '../../../../../../common/errors';
import { isDuplicateKeyError } from '../platform/database';
import { COLLECTIONS } from '../state/collections';
import { findOrder } from '../state/refund-ledger';
import type { CoreContext } from '../services/context';
import { raiseAlert } from './alerts';

export type HookEvent = 'paid' | 'refunded';
export type OutboxStatus = 'pending' | 'running' | 'done' | 'dead';

export interface OutboxEntry {
  _id?: string;
  key: string;
  out_trade_no: string;
  event: HookEvent;
  type: string;
  out_refund_no?: string;
  amount: number;
  status: OutboxStatus;
  attempts: number;
  next_run_at: number;
  lease_token?: string;
  last_error?: string;
  create_date: number;
  update_date: number;
  done_at?: number;
}

export function outboxKey(out_trade_no: string, event: HookEvent, out_refund_no?: string): string {
  return event === 'paid' ? `${out_trade_no}:paid` : `${out_trade_no}:refunded:${out_refund_no}`;
}

/** Adds the entry unless it exists. True when this call added it. */
export async function enqueueHook(
  ctx: CoreContext,
  p: { out_trade_no: string; event: HookEvent; type: string; amount: number; out_refund_no?: string },
): Promise<{ key: string; added: boolean }> {
  const key = outboxKey(p.out_trade_no, p.event, p.out_refund_no);
  const now = ctx.now();
  const entry: OutboxEntry = {
    key, out_trade_no: p.out_trade_no, event: p.event, type: p.type, amount: p.amount,
    status: 'pending', attempts: 0, next_run_at: now, create_date: now, update_date: now,
  };
  if (p.out_refund_no) entry.out_refund_no = p.out_refund_no;
  try {
    await ctx.dao.add({ dbName: COLLECTIONS.outbox, dataJson: entry, cancelAddTime: true });
    return { key, added: true };
  } catch (err) {
    if (isDuplicateKeyError(err)) return { key, added: false };
    throw err;
  }
}

export async function hasOutboxEntry(ctx: CoreContext, key: string): Promise<boolean> {
  return (await ctx.dao.findByWhereJson({ dbName: COLLECTIONS.outbox, whereJson: { key }, fieldJson: { key: true } })) !== null;
}

export type HookRunResult = 'done' | 'retry' | 'dead' | 'not_claimed';

/** Claims the entry and runs its hook once. */
export async function runHookEntry(ctx: CoreContext, key: string): Promise<HookRunResult> {
  const _ = ctx.db.command;
  const now = ctx.now();
  const token = randomBytes(12).toString('hex');
  const claimed = await ctx.dao.updateAndReturn<OutboxEntry>({
    dbName: COLLECTIONS.outbox,
    whereJson: { key, status: _.in(['pending', 'running']), next_run_at: _.lte(now) },
    dataJson: { status: 'running', lease_token: token, next_run_at: now + ctx.config.hooks.leaseMs, attempts: _.inc(1), update_date: now },
  });
  if (!claimed || claimed.lease_token !== token) return 'not_claimed';
  try {
    await invokeHook(ctx, claimed);
    await finish(ctx, key, token, { status: 'done', done_at: ctx.now(), update_date: ctx.now(), last_error: '' });
    return 'done';
  } catch (err) {
    const message = toVkPayError(err).message.slice(0, 500);
    const attempts = claimed.attempts;
    if (attempts >= ctx.config.hooks.maxAttempts) {
      await finish(ctx, key, token, { status: 'dead', last_error: message, update_date: ctx.now() });
      await raiseAlert(ctx, { kind: 'hook_dead_letter', out_trade_no: claimed.out_trade_no, message: `${claimed.type}.${hookName(claimed.event)} failed ${attempts} times: ${message}` });
      return 'dead';
    }
    const schedule = ctx.config.hooks.backoffMs;
    const delay = schedule[Math.min(attempts - 1, schedule.length - 1)];
    await finish(ctx, key, token, { status: 'pending', next_run_at: ctx.now() + delay, last_error: message, update_date: ctx.now() });
    return 'retry';
  }
}

function hookName(event: HookEvent): 'onPaid' | 'onRefunded' {
  return event === 'paid' ? 'onPaid' : 'onRefunded';
}

async function invokeHook(ctx: CoreContext, entry: OutboxEntry): Promise<void> {
  const hook = ctx.hooks.get(entry.type);
  const fn = hook?.[hookName(entry.event)];
  if (typeof fn !== 'function') return; // a type without this hook has nothing to run: done
  const order = await findOrder(ctx, entry.out_trade_no);
  if (!order) throw new Error(`order ${entry.out_trade_no} not found for its hook`);
  await fn.call(hook, {
    event: entry.event,
    order,
    refund: entry.out_refund_no ? { out_refund_no: entry.out_refund_no, amount: entry.amount } : undefined,
    db: ctx.db,
    _: ctx.db.command,
    dao: ctx.dao,
    attempt: entry.attempts,
    now: ctx.now(),
  });
}

/** Writes the outcome only while we still hold the lease (a runner whose lease expired must not overwrite). */
async function finish(ctx: CoreContext, key: string, token: string, data: Record<string, unknown>): Promise<void> {
  await ctx.dao.update({ dbName: COLLECTIONS.outbox, whereJson: { key, lease_token: token }, dataJson: data });
}

export interface RunDueHooksSummary { claimed: number; done: number; retried: number; dead: number; skipped: number }

/** The timer's part: run every due entry, oldest first, until the time budget is spent. */
export async function runDueHooks(ctx: CoreContext, opts: { budgetMs?: number; limit?: number } = {}): Promise<RunDueHooksSummary> {
  const _ = ctx.db.command;
  const started = Date.now();
  const budget = opts.budgetMs ?? 20_000;
  const summary: RunDueHooksSummary = { claimed: 0, done: 0, retried: 0, dead: 0, skipped: 0 };
  const due = await ctx.dao.select<OutboxEntry>({
    dbName: COLLECTIONS.outbox,
    whereJson: { status: _.in(['pending', 'running']), next_run_at: _.lte(ctx.now()) },
    sortArr: [{ name: 'next_run_at', type: 'asc' }],
    pageSize: opts.limit ?? 100,
  });
  for (const entry of due.rows) {
    if (Date.now() - started > budget) break;
    const result = await runHookEntry(ctx, entry.key);
    if (result === 'not_claimed') summary.skipped++;
    else {
      summary.claimed++;
      if (result === 'done') summary.done++;
      else if (result === 'retry') summary.retried++;
      else summary.dead++;
    }
  }
  return summary;
}

/**
 * Admin replay: dead-lettered (and, with includeDone, finished) entries of an order become due again and are
 * run now. Hooks are idempotent by contract, so replaying a finished one changes nothing twice.
 */
export async function replayHooks(ctx: CoreContext, p: { out_trade_no: string; includeDone?: boolean }): Promise<{ replayed: number; results: Record<string, HookRunResult> }> {
  const _ = ctx.db.command;
  const statuses = p.includeDone ? ['dead', 'done', 'pending'] : ['dead', 'pending'];
  const now = ctx.now();
  await ctx.dao.update({
    dbName: COLLECTIONS.outbox,
    whereJson: { out_trade_no: p.out_trade_no, status: _.in(statuses) },
    dataJson: { status: 'pending', attempts: 0, next_run_at: now, update_date: now },
  });
  const entries = await ctx.dao.select<OutboxEntry>({ dbName: COLLECTIONS.outbox, whereJson: { out_trade_no: p.out_trade_no }, pageSize: 100 });
  const results: Record<string, HookRunResult> = {};
  for (const e of entries.rows) if (e.status === 'pending') results[e.key] = await runHookEntry(ctx, e.key);
  return { replayed: Object.keys(results).length, results };
}

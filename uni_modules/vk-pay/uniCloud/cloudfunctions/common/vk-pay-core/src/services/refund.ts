/**
 * refund (admin only) and queryRefund. Never over-refund (docs/RELIABILITY.md section 4):
 *  1. the refund record is inserted first under its out_refund_no (unique) - the stable number reused on every
 *     retry, so the provider refunds it once however often we ask;
 *  2. the amount is reserved on the order by ONE conditional update guarded by refundable_remaining >= amount,
 *     BEFORE the provider is called - concurrent refunds can only reserve what was paid;
 *  3. the provider's answer is applied: success settles, failure releases, anything unknown stays reserved
 *     until a notification, queryRefund or the timer learns the result.
 */
import { createHash, randomBytes } from 'node:crypto';
import { merchantOf } from '../config/merchants';
import { OrderNotFoundError, ParamError, toVkPayError } from '../../../../../../common/errors';
import { isDuplicateKeyError } from '../platform/database';
import { definitionOf } from '../providers/registry';
import type { Identity } from '../auth/identity';
import { requireAdmin, requireOwnerOrAdmin } from '../auth/identity';
import { writePaymentLog } from '../logging/logs';
import { hookKey } from '../outbox';
import { COLLECTIONS } from '../state/collections';
import { PAID_STATUSES } from '../state/order';
import { findOrder, reserveRefund } from '../state/refund-ledger';
import { transitionRefund } from '../state/transition';
import { applyRefundFact, findRefund, RefundMismatchError, type RefundRecord } from './apply-refund';
import type { CallerMeta, CoreContext } from './context';
import { notifyUrlFor } from './context';
import { reconcileRefund } from './reconcile';
import { parseParams, queryRefundParams, refundParams } from './validate';
import { createWriteBatch } from './write-batch';

export interface RefundView { out_refund_no: string; out_trade_no: string; amount: number; status: RefundRecord['status']; refunded_amount: number; order_status: string }

/** The core's refund numbers: letters, digits, _ and -, 6-64 long (validate.ts `outRefundNo`). */
const CORE_REFUND_NO = /^[A-Za-z0-9_-]{6,64}$/;

/**
 * A new refund number: the order's number, then time and randomness. Where that is longer than the channel takes
 * (WeChat virtual payment: 32), the time and randomness alone, which keep it unique; the record names its order.
 */
export function newOutRefundNo(out_trade_no: string, now: number, maxLength = 64): string {
  const full = `${out_trade_no}R${now.toString(36)}${randomBytes(3).toString('hex')}`;
  if (full.length <= maxLength && CORE_REFUND_NO.test(full)) return full;
  return `R${now.toString(36)}${randomBytes(8).toString('hex')}`.slice(0, maxLength);
}

/**
 * A refund number derived from the order (the same every time, so a retried automatic refund is the same refund):
 * `<out_trade_no>-<suffix>`, or, where the channel does not take that, the suffix and a digest of the order number.
 */
export function derivedRefundNo(channel: string, out_trade_no: string, suffix: string): string {
  const rule = definitionOf(channel as Parameters<typeof definitionOf>[0]).refundNo;
  const plain = `${out_trade_no}-${suffix}`;
  if (CORE_REFUND_NO.test(plain) && (!rule || (plain.length <= rule.maxLength && rule.pattern.test(plain)))) return plain;
  const max = Math.min(rule?.maxLength ?? 64, 64);
  return `${suffix}-${createHash('sha256').update(out_trade_no).digest('hex')}`.slice(0, max);
}

export async function refund(ctx: CoreContext, who: Identity | null, rawParams: unknown, meta: CallerMeta = {}): Promise<{ view: RefundView; hookKeys: string[] }> {
  requireAdmin(who);
  const p = parseParams(refundParams, rawParams);
  const order = await findOrder(ctx, p.out_trade_no);
  if (!order) throw new OrderNotFoundError(p.out_trade_no);
  if (!PAID_STATUSES.includes(order.status)) throw new ParamError(`order ${order.out_trade_no} is ${order.status}, not paid`);
  if (p.amount > order.amount) throw new ParamError(`amount ${p.amount} fen exceeds the paid ${order.amount} fen`);
  // Some providers take refund requests from the payer only (the App Store): theirs arrive as notifications.
  const definition = definitionOf(order.channel);
  const refunds = definition.refunds;
  if (refunds === 'provider') throw new ParamError(`${order.provider} refunds are requested by the payer from ${order.provider} and arrive as notifications; a merchant cannot start one`);
  if (refunds === 'console') throw new ParamError(`vk-pay does not start ${order.provider} refunds yet; refund this order in the ${order.provider} console`);
  // a channel with narrower refund numbers (WeChat virtual payment: 8-32): refused before anything is written
  const rule = definition.refundNo;
  if (p.out_refund_no !== undefined && rule && (p.out_refund_no.length > rule.maxLength || !rule.pattern.test(p.out_refund_no))) {
    throw new ParamError(`out_refund_no must match ${rule.pattern.source} for ${order.provider}`);
  }

  const now = ctx.now();
  const out_refund_no = p.out_refund_no ?? newOutRefundNo(order.out_trade_no, now, rule?.maxLength);
  let record: RefundRecord = {
    out_refund_no, out_trade_no: order.out_trade_no, amount: p.amount, reason: p.reason ?? '', status: 'processing',
    provider: order.provider, channel: order.channel, ...(order.merchant ? { merchant: order.merchant } : {}), user_id: order.user_id, type: order.type, source: 'admin',
    create_date: now, update_date: now, history: [],
  };
  try {
    await ctx.dao.add({ dbName: COLLECTIONS.refunds, dataJson: record, cancelAddTime: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // A retry of an earlier request: it must be the same refund, and it continues where that one stopped.
    const existing = await findRefund(ctx, out_refund_no);
    if (!existing || existing.out_trade_no !== order.out_trade_no || existing.amount !== p.amount) {
      throw new ParamError(`out_refund_no ${out_refund_no} belongs to a different refund`);
    }
    record = existing;
    if (record.status !== 'processing') return { view: await refundView(ctx, record), hookKeys: [] };
  }

  const reserved = await reserveRefund(ctx, { out_trade_no: order.out_trade_no, out_refund_no, amount: p.amount });
  if (reserved === 'insufficient') {
    await transitionRefund(ctx, { out_refund_no, event: 'fail', source: 'refund', set: { fail_reason: 'exceeds the refundable amount' } });
    throw new ParamError(`amount ${p.amount} fen exceeds what is left to refund on ${order.out_trade_no}`);
  }

  const provider = ctx.provider(order.channel, merchantOf(order));
  const started = ctx.now();
  let hookKeys: string[] = [];
  try {
    const answer = await provider.refund({
      out_trade_no: order.out_trade_no, out_refund_no, refund_amount: p.amount, total_amount: order.amount,
      reason: p.reason, notify_url: notifyUrlFor(ctx.config, order.channel), openid: order.openid,
    });
    const batch = createWriteBatch();
    const applied = await applyRefundFact(ctx, { record, fact: answer, source: 'refund', batch });
    batch.keep(() => writePaymentLog(ctx, { type: 'refund', status: applied.status, out_trade_no: order.out_trade_no, provider: order.provider, amount: p.amount, user_id: order.user_id, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started, detail: { out_refund_no } }));
    await batch.flush();
    hookKeys = applied.hooks.map(hookKey);
  } catch (err) {
    const e = toVkPayError(err);
    // A definite refusal frees the reservation; an unknown outcome keeps it (the provider may have refunded).
    if (!e.retryable && e.code !== 50000 && !(err instanceof RefundMismatchError)) {
      const batch = createWriteBatch();
      await applyRefundFact(ctx, { record, fact: { state: 'failed', amount: p.amount, fail_reason: `${e.code} ${e.message}` }, source: 'refund', batch });
      await batch.flush();
    }
    await writePaymentLog(ctx, { type: 'refund', status: 'fail', out_trade_no: order.out_trade_no, provider: order.provider, amount: p.amount, user_id: order.user_id, error_info: `${e.code} ${e.message}`, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started, detail: { out_refund_no } });
    throw e;
  }
  const fresh = (await findRefund(ctx, out_refund_no)) ?? record;
  return { view: await refundView(ctx, fresh), hookKeys };
}

async function refundView(ctx: CoreContext, record: RefundRecord): Promise<RefundView> {
  const order = await findOrder(ctx, record.out_trade_no);
  return {
    out_refund_no: record.out_refund_no, out_trade_no: record.out_trade_no, amount: record.amount, status: record.status,
    refunded_amount: order?.refunded_amount ?? 0, order_status: order?.status ?? 'unknown',
  };
}

export async function queryRefund(ctx: CoreContext, who: Identity | null, rawParams: unknown): Promise<{ view: RefundView; hookKeys: string[] }> {
  const p = parseParams(queryRefundParams, rawParams);
  const record = await findRefund(ctx, p.out_refund_no);
  if (!record) throw new OrderNotFoundError(`refund ${p.out_refund_no}`);
  requireOwnerOrAdmin(who, record.user_id);
  const synced = await reconcileRefund(ctx, record, { source: 'query' });
  return { view: await refundView(ctx, synced.record), hookKeys: synced.hooks.map(hookKey) };
}

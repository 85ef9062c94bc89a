/**
 * getPaymentResult({ out_trade_no }): what the payer's result page shows, read from the server - the order's
 * state (asking the provider while it is pending, through queryPayment), what was bought, why it closed
 * (cancelled, failed with the provider's reason, expired) and what the purchase did (points credited by the
 * recharge hook, the goods). Only the order's owner or an admin may read it: it can carry the owner's balance.
 */
import { OrderNotFoundError } from '../../../../../../common/errors';
import type { OrderStatus } from '../../../../../../common/status';
import { requireOwnerOrAdmin, type Identity } from '../auth/identity';
import { writePaymentError } from '../logging/logs';
import type { CarriedHook } from '../state/hook-status';
import { PAID_STATUSES, type OrderDoc } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { closeReasonOf, type CloseReason } from './close-reason';
import type { CallerMeta, CoreContext } from './context';
import { queryPayment } from './query-payment';
import { outTradeNo, parseParams } from './validate';
import { z } from 'zod';

const resultParams = z.object({ out_trade_no: outTradeNo });

/**
 * What the purchase did. `state`: done (the business hook ran), pending (paid, the hook has not finished yet;
 * the timer retries it), failed (the hook gave up and an admin was alerted), none (nothing to run). The hook's
 * state rides on the paid order itself (`hook_status`, state/hook-status.ts).
 * The rest comes from the hook's optional `effectOf` (points and balance for recharge) or the catalog (goods).
 */
export interface PaymentEffect {
  state: 'done' | 'pending' | 'failed' | 'none';
  kind?: string;
  points?: number;
  balance?: number;
  goods_id?: string;
  name?: string;
}

export interface PaymentResult {
  out_trade_no: string;
  status: OrderStatus;
  amount: number;
  refunded_amount: number;
  paid_at?: number;
  expires_at: number;
  create_date: number;
  type: string;
  subject: string;
  goods_id?: string;
  provider: string;
  pay_type: string;
  close_reason?: CloseReason;
  /** the provider's words on a failed payment (WeChat trade_state_desc) */
  provider_reason?: string;
  effect?: PaymentEffect;
}

type StoredOrder = OrderDoc & { close_reason?: string; provider_reason?: string };

export async function getPaymentResult(ctx: CoreContext, who: Identity | null, rawParams: unknown, meta: CallerMeta = {}): Promise<{ result: PaymentResult; hookKeys: string[] }> {
  const p = parseParams(resultParams, rawParams);
  let order = (await findOrder(ctx, p.out_trade_no)) as StoredOrder | null;
  if (!order) throw new OrderNotFoundError(p.out_trade_no);
  requireOwnerOrAdmin(who, order.user_id);
  const hookKeys: string[] = [];
  if (order.status === 'pending') {
    // the double confirmation of queryPayment: a payment whose notification is late is found at the provider
    hookKeys.push(...(await queryPayment(ctx, who, { out_trade_no: p.out_trade_no }, meta)).hookKeys);
    order = ((await findOrder(ctx, p.out_trade_no)) as StoredOrder | null) ?? order;
  }
  const result: PaymentResult = {
    out_trade_no: order.out_trade_no, status: order.status, amount: order.amount, refunded_amount: order.refunded_amount ?? 0,
    expires_at: order.expires_at, create_date: order.create_date, type: order.type, subject: order.subject,
    provider: order.provider, pay_type: order.pay_type,
  };
  if (order.paid_at !== undefined) result.paid_at = order.paid_at;
  if (order.goods_id) result.goods_id = order.goods_id;
  const reason = closeReasonOf(order);
  if (reason) result.close_reason = reason;
  if (reason === 'failed' && order.provider_reason) result.provider_reason = order.provider_reason;
  if (PAID_STATUSES.includes(order.status)) result.effect = await effectOf(ctx, order);
  return { result, hookKeys };
}

async function effectOf(ctx: CoreContext, order: StoredOrder): Promise<PaymentEffect> {
  const hookStatus = (order as StoredOrder & CarriedHook).hook_status;
  const state: PaymentEffect['state'] = !hookStatus ? 'none' : hookStatus === 'done' ? 'done' : hookStatus === 'dead' ? 'failed' : 'pending';
  const effect: PaymentEffect = { state };
  const typeConfig = ctx.config.orderTypes[order.type];
  if (typeConfig?.amount === 'catalog' && order.goods_id) Object.assign(effect, { kind: 'goods', goods_id: order.goods_id, name: order.subject });
  const hook = ctx.hooks.get(order.type);
  if (state === 'done' && typeof hook?.effectOf === 'function') {
    try {
      const told = await hook.effectOf({ order, db: ctx.db, _: ctx.db.command, dao: ctx.dao, now: ctx.now() });
      if (told && typeof told === 'object') Object.assign(effect, pickEffect(told as Record<string, unknown>));
    } catch (err) {
      // the payment stands; the page just shows less
      await writePaymentError(ctx, { action: `${order.type}.effectOf`, error: err, out_trade_no: order.out_trade_no, user_id: order.user_id });
    }
  }
  return effect;
}

/** Only the documented fields, typed, so a hook cannot leak a whole ledger document to the page. */
function pickEffect(o: Record<string, unknown>): Partial<PaymentEffect> {
  const out: Partial<PaymentEffect> = {};
  if (typeof o.kind === 'string') out.kind = o.kind.slice(0, 32);
  if (typeof o.points === 'number' && Number.isFinite(o.points)) out.points = o.points;
  if (typeof o.balance === 'number' && Number.isFinite(o.balance)) out.balance = o.balance;
  if (typeof o.name === 'string') out.name = o.name.slice(0, 128);
  if (typeof o.goods_id === 'string') out.goods_id = o.goods_id.slice(0, 64);
  return out;
}

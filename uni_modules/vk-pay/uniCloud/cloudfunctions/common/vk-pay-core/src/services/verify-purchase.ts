/**
 * verifyApplePurchase (docs/CONTRACTS.md; DESIGN section 13): a payment the client proves - the device bought
 * it from the App Store and brings the signed transaction, its id, or the legacy receipt. The provider verifies
 * the proof for this order (signature and chain, app, product, the order's token) before anything is written;
 * the payment is then applied through the same step as every other (applyPaid): one conditional update that
 * pays the order and writes the transaction id under its unique index, so one App Store transaction pays one
 * order at most, ever. A repeat of the same proof (the client retrying after a crash) answers the paid order.
 * A restore (the original purchase of an order already paid by it) changes nothing.
 */
import { OrderNotFoundError, ParamError } from '../../../../../../common/errors';
import { z } from 'zod';
import type { Identity } from '../auth/identity';
import { requireOwnerOrAdmin } from '../auth/identity';
import { writePaymentLog } from '../logging/logs';
import { hookKey } from '../outbox';
import { PAID_STATUSES } from '../state/order';
import { findOrder } from '../state/refund-ledger';
import { applyPaid } from './apply-payment';
import type { CallerMeta, CoreContext } from './context';
import { viewOf, type PaymentView } from './query-payment';
import { outTradeNo, parseParams } from './validate';
import { createWriteBatch } from './write-batch';

export const verifyPurchaseParams = z.object({
  out_trade_no: outTradeNo,
  signed_transaction: z.string().min(16).max(64 * 1024).optional(),
  transaction_id: z.string().trim().regex(/^\d{1,32}$/, 'transaction_id must be digits').optional(),
  receipt: z.string().min(20).max(512 * 1024).optional(),
}).refine((p) => [p.signed_transaction, p.transaction_id, p.receipt].filter((v) => v !== undefined).length === 1, {
  message: 'send exactly one of signed_transaction, transaction_id or receipt',
});

export interface VerifyPurchaseResult { view: PaymentView & { transaction_id?: string }; hookKeys: string[]; outcome: 'paid' | 'already_paid' | 'restored' | 'second_payment' }

export async function verifyPurchase(ctx: CoreContext, who: Identity | null, rawParams: unknown, meta: CallerMeta = {}): Promise<VerifyPurchaseResult> {
  const p = parseParams(verifyPurchaseParams, rawParams);
  const order = await findOrder(ctx, p.out_trade_no);
  if (!order) throw new OrderNotFoundError(p.out_trade_no);
  requireOwnerOrAdmin(who, order.user_id);
  const provider = ctx.provider(order.channel);
  if (!provider.verifyPurchase || !order.provider_product_id) throw new ParamError(`order ${order.out_trade_no} is not paid by a purchase the client proves`);

  const started = ctx.now();
  const purchase = await provider.verifyPurchase({
    out_trade_no: order.out_trade_no, product_id: order.provider_product_id,
    signed_transaction: p.signed_transaction, transaction_id: p.transaction_id, receipt: p.receipt,
  });
  const proof = p.signed_transaction ? 'signed_transaction' : p.transaction_id ? 'transaction_id' : 'receipt';
  const log = (status: string) => writePaymentLog(ctx, {
    type: 'query', status, out_trade_no: order.out_trade_no, provider: order.provider, amount: order.amount, user_id: order.user_id,
    ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started,
    detail: { source: 'verify', proof, transaction_id: purchase.transaction_id, environment: purchase.environment },
  });

  // A restore hands back the original purchase under a new id (StoreKit 1) or the same one: the order stands.
  if (PAID_STATUSES.includes(order.status) && order.transaction_id !== undefined && order.transaction_id !== purchase.transaction_id && order.transaction_id === purchase.original_transaction_id) {
    await log('restored');
    return { view: { ...viewOf(order), transaction_id: order.transaction_id }, hookKeys: [], outcome: 'restored' };
  }

  const batch = createWriteBatch();
  const r = await applyPaid(ctx, {
    channel: order.channel, out_trade_no: order.out_trade_no, transaction_id: purchase.transaction_id, amount: order.amount,
    paid_at: purchase.paid_at, merchant: purchase.merchant, product_id: purchase.product_id,
  }, 'verify', batch, order);
  const outcome = r.second_payment ? 'second_payment' : r.transition ? 'paid' : 'already_paid';
  batch.keep(() => log(outcome));
  await batch.flush();
  return { view: { ...viewOf(r.order), transaction_id: r.order.transaction_id }, hookKeys: r.hook ? [hookKey(r.hook)] : [], outcome };
}

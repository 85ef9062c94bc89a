/**
 * Bind checks: a verified message is accepted only for OUR merchant and OUR order - same channel, ids the
 * channel's definition says this config accepts (WeChat appid/mchid, Alipay app_id/seller_id, ...), and the
 * channel's order binding: the exact amount in integer fen (docs/RELIABILITY.md section 1: zero tolerance) or the
 * product. Mismatches change nothing.
 */
import { ParamError, SignatureError, toVkPayError } from '../../../../../../common/errors';
import type { VkPayConfig } from '../config/schema';
import type { Channel, MerchantBinding, PaymentProvider } from '../providers/types';
import { definitionOf } from '../providers/registry';
import type { OrderDoc } from '../state/order';
import { DEFAULT_MERCHANT, merchantNames, merchantOf, merchantSection } from '../config/merchants';
import type { CoreContext } from './context';

/**
 * A message verified with one merchant's keys is only about that merchant's orders: an order (or refund) of another
 * merchant of the channel is not touched by it.
 */
export function checkOrderMerchant(doc: { merchant?: string; out_trade_no: string }, verifiedBy: string | undefined): void {
  if (verifiedBy !== undefined && merchantOf(doc) !== verifiedBy) throw new SignatureError(`order ${doc.out_trade_no} belongs to merchant ${merchantOf(doc)}, not ${verifiedBy}`);
}

/**
 * The expected bindings per config section: a validated config is never changed in place (a new config is a new
 * object), so they are worked out once per section object rather than on every notification.
 */
const merchantsBySection = new WeakMap<object, Map<Channel, readonly MerchantBinding[]>>();

/** The merchant ids this config accepts on the channel (several when a merchant has several appids). */
export function expectedMerchants(config: VkPayConfig, channel: Channel, merchant: string = DEFAULT_MERCHANT): readonly MerchantBinding[] {
  const section = merchantSection(config, channel, merchant);
  if (!section) return [];
  // worked out once per merchant section, not per notification
  let byChannel = merchantsBySection.get(section);
  if (!byChannel) merchantsBySection.set(section, (byChannel = new Map()));
  let expected = byChannel.get(channel);
  if (!expected) byChannel.set(channel, (expected = Object.freeze(definitionOf(channel).merchant.expected(section))));
  return expected;
}

/**
 * Throws unless the message names our merchant (the given one of the channel's merchants): for one of the expected bindings, at least one identifier is
 * present and all present match.
 */
export function checkMerchant(config: VkPayConfig, channel: Channel, got: MerchantBinding | undefined, merchant: string = DEFAULT_MERCHANT): void {
  const labels = definitionOf(channel).merchant.labels;
  let mismatch: string | undefined;
  for (const want of expectedMerchants(config, channel, merchant)) {
    const pairs: Array<[string, string | undefined, string | undefined]> = [
      [labels.app_id, want.app_id, got?.app_id],
      [labels.merchant_id, want.merchant_id, got?.merchant_id],
    ];
    let compared = 0;
    let bad: string | undefined;
    for (const [name, expected, actual] of pairs) {
      if (actual === undefined || actual === '' || expected === undefined) continue;
      compared++;
      if (actual !== expected) { bad = `${name} ${actual} is not this merchant's`; break; }
    }
    if (!bad && compared > 0) return;
    mismatch ??= bad;
  }
  throw new SignatureError(mismatch ?? 'message names no merchant this config knows');
}

/**
 * The payment belongs to this order: same channel, and what the channel binds by (definition.orderBinding) -
 * the exact amount in integer fen, or the provider's product id the order took from its catalog item.
 */
export function checkOrderBinding(order: OrderDoc, p: { channel: Channel; amount?: number; product_id?: string }): void {
  if (order.channel !== p.channel) throw new SignatureError(`order ${order.out_trade_no} belongs to channel ${order.channel}, not ${p.channel}`);
  if (definitionOf(p.channel).orderBinding === 'product') {
    if (!order.provider_product_id || p.product_id !== order.provider_product_id) throw new ParamError(`product ${String(p.product_id)} is not the order's ${String(order.provider_product_id)}`);
    return;
  }
  if (p.amount === undefined || !Number.isSafeInteger(p.amount)) throw new ParamError('message carries no integer amount');
  if (p.amount !== order.amount) throw new ParamError(`amount ${p.amount} fen does not match the order's ${order.amount} fen`);
}

/** A verified message, the merchant whose keys verified it, and the bind error when it names none that did. */
export interface VerifiedFor<T> { message: T; merchant: string; refused?: unknown }

/**
 * Verifies a notification with each configured merchant's keys in turn (config/merchants.ts) and binds it to the
 * first merchant whose keys verify it AND whose ids it names: Alipay signs every app's notifications with its one
 * key, so the signature alone does not say whose they are. Verified but naming none of them -> the first merchant
 * that verified it, with its bind error as `refused` (the caller refuses the message with an error row, as for a
 * single merchant); nothing verifies -> the first refusal (40002). Any other error is thrown at once. `verify`
 * answers undefined for a merchant whose provider does not receive this kind of message: it is passed over.
 * Payment and payout notifications are bound by this one rule (services/notify.ts, services/transfer/notify.ts).
 */
export async function verifyForMerchant<T extends { merchant?: MerchantBinding }>(
  ctx: CoreContext, channel: Channel, verify: (provider: PaymentProvider) => Promise<T> | undefined,
): Promise<VerifiedFor<T>> {
  let firstError: unknown;
  let firstVerified: VerifiedFor<T> | undefined;
  for (const merchant of merchantNames(ctx.config, channel)) {
    let message: T | undefined;
    try {
      message = await verify(ctx.provider(channel, merchant));
    } catch (err) {
      if (toVkPayError(err).code !== 40002) throw err;
      firstError ??= err;
      continue;
    }
    if (message === undefined) continue;
    try {
      checkMerchant(ctx.config, channel, message.merchant, merchant);
      return { message, merchant };
    } catch (err) {
      // verified, but not this merchant's: try the next
      firstVerified ??= { message, merchant, refused: err };
    }
  }
  if (firstVerified) return firstVerified;
  throw firstError;
}

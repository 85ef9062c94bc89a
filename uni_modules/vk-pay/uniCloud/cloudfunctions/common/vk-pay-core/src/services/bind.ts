/**
 * Bind checks: a verified message is accepted only for OUR merchant and OUR order - same channel, same
 * appid/mchid (Alipay app_id/seller_id), and the exact amount in integer fen (docs/RELIABILITY.md section 1: zero
 * tolerance). Mismatches change nothing.
 */
import { ParamError, SignatureError } from '../../../../../../common/errors';
import type { VkPayConfig } from '../config/schema';
import type { Channel, MerchantBinding } from '../providers/types';
import type { OrderDoc } from '../state/order';

export function expectedMerchant(config: VkPayConfig, channel: Channel): MerchantBinding {
  if (channel === 'alipay') {
    const a = config.providers.alipay;
    return { app_id: a?.appId, merchant_id: a?.sellerId };
  }
  const w = config.providers[channel];
  return { app_id: w?.appId, merchant_id: w?.mchId };
}

/** Throws unless the message names our merchant. At least one identifier must be present and all present must match. */
export function checkMerchant(config: VkPayConfig, channel: Channel, got: MerchantBinding | undefined): void {
  const want = expectedMerchant(config, channel);
  const pairs: Array<[string, string | undefined, string | undefined]> = [
    ['appid', want.app_id, got?.app_id],
    [channel === 'alipay' ? 'seller_id' : 'mchid', want.merchant_id, got?.merchant_id],
  ];
  let compared = 0;
  for (const [name, expected, actual] of pairs) {
    if (actual === undefined || actual === '' || expected === undefined) continue;
    compared++;
    if (actual !== expected) throw new SignatureError(`${name} ${actual} is not this merchant's`);
  }
  if (compared === 0) throw new SignatureError('message names no merchant this config knows');
}

export function checkOrderBinding(order: OrderDoc, p: { channel: Channel; amount?: number }): void {
  if (order.channel !== p.channel) throw new SignatureError(`order ${order.out_trade_no} belongs to channel ${order.channel}, not ${p.channel}`);
  if (p.amount === undefined || !Number.isSafeInteger(p.amount)) throw new ParamError('message carries no integer amount');
  if (p.amount !== order.amount) throw new ParamError(`amount ${p.amount} fen does not match the order's ${order.amount} fen`);
}

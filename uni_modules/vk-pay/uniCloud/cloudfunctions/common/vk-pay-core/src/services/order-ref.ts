/**
 * Finding the order a notification is about when the provider cannot name our order number (the App Store:
 * its notifications carry the purchase, tied to the order only by the token the order handed the device).
 * First by the provider's payment id (the order it already paid: refunds, repeats), then by the id the order got
 * at creation (`provider_order_id`: a purchase the device never came back to verify). Reads only; ids are
 * bounded before they reach a query. Not found leaves `out_trade_no` empty: the notification is then out of
 * bounds and refused for good (acknowledged, error row, alert), since no later delivery can find it either.
 */
import type { NotificationOutcome } from '../providers/types';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import type { CoreContext } from './context';

const ID = /^[\x21-\x7e]{1,64}$/;

export async function resolveOrderRef(ctx: CoreContext, outcome: NotificationOutcome): Promise<NotificationOutcome> {
  const ref = outcome.order_ref ?? {};
  const find = (whereJson: Record<string, unknown>) => ctx.dao.findByWhereJson<OrderDoc>({ dbName: COLLECTIONS.orders, whereJson: { ...whereJson, channel: outcome.channel } });
  let order: OrderDoc | null = null;
  if (typeof ref.transaction_id === 'string' && ID.test(ref.transaction_id)) order = await find({ transaction_id: ref.transaction_id });
  if (!order && typeof ref.provider_order_id === 'string' && ID.test(ref.provider_order_id)) order = await find({ provider_order_id: ref.provider_order_id });
  return order ? { ...outcome, out_trade_no: order.out_trade_no } : outcome;
}

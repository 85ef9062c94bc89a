/** The stored order document (`payment_orders`). Money is integer fen; times are ms epochs. */
import type { OrderEvent, OrderStatus } from '../../../../../../common/status';
import type { Channel, ClientPayment, PayType, ProviderName } from '../providers/types';
import type { CarriedHook } from './hook-status';

export interface OrderHistoryEntry {
  event: OrderEvent;
  to: OrderStatus;
  at: number;
  /** what caused it: notify, query, close, timer, refund, ... */
  source: string;
}

/** `hook_*` (CarriedHook): the onPaid hook, written by the same update that made the order paid. */
export interface OrderDoc extends CarriedHook {
  _id?: string;
  out_trade_no: string;
  user_id: string;
  type: string;
  provider: ProviderName;
  channel: Channel;
  pay_type: PayType;
  amount: number;
  subject: string;
  goods_id?: string;
  /** the provider's product id from the catalog item, for channels that bind a payment by product (App Store) */
  provider_product_id?: string;
  openid?: string;
  /** the channel's merchant the order was made with (config/merchants.ts); absent for the section's own */
  merchant?: string;
  status: OrderStatus;
  create_date: number;
  update_date: number;
  expires_at: number;
  /** hash of the normalised create input: the same input within 5 minutes returns this order */
  fingerprint: string;
  /** fingerprint + 5-minute bucket, unique: two identical concurrent creates make one order */
  dedupe_key: string;
  platform?: string;
  client_ip?: string;
  /** what the client needs to pay (returned again on a deduplicated create) */
  payment?: ClientPayment;
  provider_order_id?: string;
  /** a subscription period the provider renewed by itself: the out_trade_no of the subscription's first order */
  renewal_of?: string;
  /** ms epoch: the end of the period a subscription payment paid for */
  period_ends_at?: number;
  /** the provider's payment id; unique across orders (sparse index), written by the pay transition itself */
  transaction_id?: string;
  paid_at?: number;
  paid_after_close?: boolean;
  closed_at?: number;
  /** refunds that succeeded */
  refunded_amount: number;
  /** refunds reserved and not yet settled or released */
  refund_in_flight: number;
  /** amount - refunded_amount - refund_in_flight; 0 until paid. Reservations decrement it under a >= guard */
  refundable_remaining: number;
  /** out_refund_no of every reservation made (guards a second reservation for the same refund) */
  refunds_reserved: string[];
  /** out_refund_no of every reservation settled or released (guards settling twice) */
  refunds_done: string[];
  /** out_refund_no of every reservation released because the provider refused the refund */
  refunds_released?: string[];
  history: OrderHistoryEntry[];
  /** encrypted when the config has userInfoKey */
  user_info?: unknown;
}

export const PAID_STATUSES: readonly OrderStatus[] = ['paid', 'partially_refunded', 'refunded'];

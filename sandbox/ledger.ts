/**
 * The rules every gateway applies to orders and refunds, independent of wire format: what a repeated create,
 * a second payment, closing a paid order, an over-refund or a reused refund number lead to. Each gateway
 * module maps the outcomes here onto its real error codes. Nothing here knows HTTP or signatures.
 */
import { randomDigits } from './credentials';
import { compactChina } from './http-io';
import { orderKey, refundKey, type SandboxChannel, type SandboxOrder, type SandboxRefund, type SandboxState } from './state';

export type CreateOutcome =
  | { ok: true; order: SandboxOrder; repeated: boolean }
  | { ok: false; reason: 'paid' | 'closed' | 'conflict'; order: SandboxOrder };

export type PayOutcome =
  | { ok: true; order: SandboxOrder }
  | { ok: false; reason: 'not_found' | 'paid' | 'closed' };

export type CloseOutcome = { ok: true; order: SandboxOrder } | { ok: false; reason: 'not_found' | 'paid' };

export type RefundOutcome =
  | { ok: true; refund: SandboxRefund; repeated: boolean; order: SandboxOrder }
  | { ok: false; reason: 'order_not_found' | 'not_paid' | 'exceeds' | 'conflict' | 'total_mismatch'; order?: SandboxOrder };

export interface LedgerHooks {
  /** an order just became paid: raise its payment notification */
  paid(order: SandboxOrder): void;
  /** a refund was accepted */
  refundCreated(refund: SandboxRefund, order: SandboxOrder): void;
  /** an unpaid order was closed by the merchant */
  closed(order: SandboxOrder): void;
}

export interface NewOrder {
  channel: SandboxChannel;
  out_trade_no: string;
  app_id: string;
  merchant_id: string;
  sub_merchant_id?: string;
  sub_app_id?: string;
  payer_field?: 'sp_openid' | 'sub_openid';
  auth_app_id?: string;
  amount: number;
  subject: string;
  pay_type: string;
  attach?: string;
  notify_url?: string;
  return_url?: string;
  quit_url?: string;
  payer_id?: string;
  sign_type?: string;
  expires_at?: number;
  virtual?: SandboxOrder['virtual'];
}

function fingerprint(o: NewOrder): string {
  // What makes two create calls "the same order": WeChat and Alipay compare the business content.
  const base = [o.app_id, o.amount, o.subject, o.pay_type, o.payer_id ?? ''];
  // the merchant a partner / third-party order was made for is part of it too (kept out of others': stored states stay valid)
  return JSON.stringify(o.sub_merchant_id || o.auth_app_id ? [...base, o.merchant_id, o.sub_merchant_id ?? '', o.auth_app_id ?? ''] : base);
}

export function newTransactionId(channel: SandboxChannel, now: number): string {
  return channel === 'alipay' ? `${compactChina(now).slice(0, 8)}22001${randomDigits(15)}` : `4200${randomDigits(24)}`;
}

export class Ledger {
  constructor(
    private readonly state: SandboxState,
    private readonly hooks: LedgerHooks,
    private readonly now: () => number,
  ) {}

  /** The order with unpaid expiry applied: past time_expire an unpaid order reads as closed, as the gateways do. */
  get(channel: SandboxChannel, outTradeNo: string): SandboxOrder | undefined {
    const order = this.state.data.orders[orderKey(channel, outTradeNo)];
    if (order && order.status === 'NOTPAY' && order.expires_at !== undefined && order.expires_at <= this.now()) {
      order.status = 'CLOSED';
      order.closed_at = order.expires_at;
      void this.state.save();
    }
    return order;
  }

  create(input: NewOrder): CreateOutcome {
    const existing = this.get(input.channel, input.out_trade_no);
    const fp = fingerprint(input);
    if (existing) {
      if (existing.status === 'SUCCESS') return { ok: false, reason: 'paid', order: existing };
      if (existing.status === 'CLOSED') return { ok: false, reason: 'closed', order: existing };
      if (existing.fingerprint !== fp) return { ok: false, reason: 'conflict', order: existing };
      // The same request again: the gateways answer with the live order (notify/return URLs may be refreshed).
      if (input.notify_url) existing.notify_url = input.notify_url;
      if (input.return_url) existing.return_url = input.return_url;
      void this.state.save();
      return { ok: true, order: existing, repeated: true };
    }
    const now = this.now();
    const order: SandboxOrder = {
      ...input,
      transaction_id: newTransactionId(input.channel, now),
      fingerprint: fp,
      status: 'NOTPAY',
      refunded: 0,
      created_at: now,
    };
    this.state.data.orders[orderKey(input.channel, input.out_trade_no)] = order;
    void this.state.save();
    return { ok: true, order, repeated: false };
  }

  pay(channel: SandboxChannel, outTradeNo: string, payerId?: string): PayOutcome {
    const order = this.get(channel, outTradeNo);
    if (!order) return { ok: false, reason: 'not_found' };
    if (order.status === 'SUCCESS') return { ok: false, reason: 'paid' };
    if (order.status === 'CLOSED') return { ok: false, reason: 'closed' };
    order.status = 'SUCCESS';
    order.paid_at = this.now();
    if (payerId && !order.payer_id) order.payer_id = payerId;
    void this.state.save();
    this.hooks.paid(order);
    return { ok: true, order };
  }

  /** The person backed out at the cashier: the order stays payable, as on the real gateways. */
  cancel(channel: SandboxChannel, outTradeNo: string): PayOutcome {
    const order = this.get(channel, outTradeNo);
    if (!order) return { ok: false, reason: 'not_found' };
    if (order.status === 'SUCCESS') return { ok: false, reason: 'paid' };
    if (order.status === 'CLOSED') return { ok: false, reason: 'closed' };
    order.cancelled_at = this.now();
    void this.state.save();
    return { ok: true, order };
  }

  /**
   * The payment was refused by the bank (WeChat PAYERROR): the order can no longer be paid. Alipay has no such
   * trade state (a refused card leaves the trade waiting for another try), so only WeChat orders fail.
   */
  fail(channel: SandboxChannel, outTradeNo: string, reason: string): PayOutcome {
    const order = this.get(channel, outTradeNo);
    if (!order) return { ok: false, reason: 'not_found' };
    if (order.status === 'SUCCESS') return { ok: false, reason: 'paid' };
    if (order.status === 'CLOSED' || channel === 'alipay') return { ok: false, reason: 'closed' };
    order.status = 'CLOSED';
    order.closed_at = this.now();
    order.failed_reason = reason;
    void this.state.save();
    return { ok: true, order };
  }

  /** Closing twice is fine; closing a paid order is refused. */
  close(channel: SandboxChannel, outTradeNo: string): CloseOutcome {
    const order = this.get(channel, outTradeNo);
    if (!order) return { ok: false, reason: 'not_found' };
    if (order.status === 'SUCCESS') return { ok: false, reason: 'paid' };
    if (order.status === 'NOTPAY') {
      order.status = 'CLOSED';
      order.closed_at = this.now();
      void this.state.save();
      this.hooks.closed(order);
    }
    return { ok: true, order };
  }

  refundOf(channel: SandboxChannel, outTradeNo: string, outRefundNo: string): SandboxRefund | undefined {
    return this.state.data.refunds[refundKey(channel, outTradeNo, outRefundNo)];
  }

  /** WeChat looks refunds up by out_refund_no alone (unique per merchant). */
  refundByNo(channel: SandboxChannel, outRefundNo: string): SandboxRefund | undefined {
    return Object.values(this.state.data.refunds).find((r) => r.channel === channel && r.out_refund_no === outRefundNo);
  }

  refundsOf(channel: SandboxChannel, outTradeNo: string): SandboxRefund[] {
    return Object.values(this.state.data.refunds).filter((r) => r.channel === channel && r.out_trade_no === outTradeNo);
  }

  /**
   * A refund against a paid order. The same refund number with the same amount answers the existing refund
   * (the documented way to retry); with another amount it is refused; the sum of refunds never exceeds the
   * amount paid. `total`, when the protocol sends it, must be the order's amount.
   */
  refund(input: {
    channel: SandboxChannel; out_trade_no: string; out_refund_no: string; amount: number; total?: number;
    reason?: string; notify_url?: string; initial: 'PROCESSING' | 'SUCCESS'; settle_as?: SandboxRefund['settle_as'];
    /** a refund a person made in the merchant platform: settled at once, no notification to the merchant's server */
    silent?: boolean;
  }): RefundOutcome {
    const order = this.get(input.channel, input.out_trade_no);
    if (!order) return { ok: false, reason: 'order_not_found' };
    const existing = this.refundOf(input.channel, input.out_trade_no, input.out_refund_no)
      ?? (input.channel === 'alipay' ? undefined : this.refundByNo(input.channel, input.out_refund_no));
    if (existing) {
      if (existing.out_trade_no !== input.out_trade_no || existing.amount !== input.amount) return { ok: false, reason: 'conflict', order };
      return { ok: true, refund: existing, repeated: true, order };
    }
    if (order.status !== 'SUCCESS') return { ok: false, reason: 'not_paid', order };
    if (input.total !== undefined && input.total !== order.amount) return { ok: false, reason: 'total_mismatch', order };
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || order.refunded + input.amount > order.amount) {
      return { ok: false, reason: 'exceeds', order };
    }
    const now = this.now();
    const refund: SandboxRefund = {
      channel: input.channel,
      out_refund_no: input.out_refund_no,
      out_trade_no: input.out_trade_no,
      refund_id: input.channel === 'alipay' ? order.transaction_id : `50${randomDigits(27)}`,
      amount: input.amount,
      total: order.amount,
      status: input.initial,
      settle_as: input.initial === 'PROCESSING' ? input.settle_as ?? 'SUCCESS' : undefined,
      reason: input.reason,
      notify_url: input.notify_url,
      created_at: now,
      success_at: input.initial === 'SUCCESS' ? now : undefined,
    };
    order.refunded += input.amount;
    this.state.data.refunds[refundKey(input.channel, input.out_trade_no, input.out_refund_no)] = refund;
    void this.state.save();
    if (!input.silent) this.hooks.refundCreated(refund, order);
    return { ok: true, refund, repeated: false, order };
  }

  /**
   * A processing refund reaches its final state (WeChat settles asynchronously). A closed refund gives its
   * amount back to the order's refundable balance. Returns false if it was already final.
   */
  settleRefund(refund: SandboxRefund): boolean {
    if (refund.status !== 'PROCESSING') return false;
    refund.status = refund.settle_as ?? 'SUCCESS';
    if (refund.status === 'SUCCESS') refund.success_at = this.now();
    if (refund.status === 'CLOSED') {
      const order = this.state.data.orders[`${refund.channel}:${refund.out_trade_no}`];
      if (order) order.refunded -= refund.amount;
    }
    void this.state.save();
    return true;
  }
}

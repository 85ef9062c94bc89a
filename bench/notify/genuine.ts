/**
 * Genuine provider notifications for orders the benchmark or a fault test stores itself: built with the
 * sandbox's own builders and keys (the code that signs what the sandbox gateway sends), so only the core's
 * checks decide what happens to them. Also the pending order documents those notifications pay, shaped as
 * createPayment stores them.
 */
import { randomUUID } from 'node:crypto';
import { buildAlipayNotification } from '../../sandbox/alipay/objects';
import type { SandboxCredentials } from '../../sandbox/credentials';
import type { SandboxOrder, SandboxRefund } from '../../sandbox/state';
import { buildV2Notification } from '../../sandbox/wxpay/v2-notify';
import { buildV3Notification } from '../../sandbox/wxpay/v3-objects';

export type BenchChannel = 'wxpay' | 'wxpay-v2' | 'alipay';

/** What the provider knows about one paid order. */
export interface PaidFacts {
  channel: BenchChannel;
  out_trade_no: string;
  amount: number;
  transaction_id: string;
  paid_at: number;
}

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

export function sandboxOrderOf(creds: SandboxCredentials, f: PaidFacts): SandboxOrder {
  const alipay = f.channel === 'alipay';
  return {
    channel: f.channel, out_trade_no: f.out_trade_no, transaction_id: f.transaction_id,
    app_id: alipay ? creds.alipay.appId : creds.wxpay.appId, merchant_id: alipay ? creds.alipay.sellerId : creds.wxpay.mchId,
    amount: f.amount, subject: 'bench order', pay_type: alipay ? 'precreate' : 'NATIVE', fingerprint: f.out_trade_no,
    status: 'SUCCESS', refunded: 0, created_at: f.paid_at - 1000, paid_at: f.paid_at,
  };
}

/** A signed "paid" notification, as the provider sends it (v3 signed at `nowMs`; event ids fixed per order). */
export function paidNotification(creds: SandboxCredentials, f: PaidFacts, nowMs = Date.now(), eventId?: string): SignedRequest {
  const order = sandboxOrderOf(creds, f);
  const id = eventId ?? `ev-${f.out_trade_no}`;
  const out = f.channel === 'wxpay'
    ? buildV3Notification(creds, id, f.paid_at, order, undefined, undefined, nowMs)
    : f.channel === 'alipay'
      ? buildAlipayNotification(creds, id, order, undefined, [], undefined, nowMs)
      : buildV2Notification(creds, order, undefined, undefined);
  return { headers: lower(out.headers), body: out.body };
}

/** A signed refund notification for a refund of `amount` fen (status SUCCESS unless given). */
export function refundNotification(
  creds: SandboxCredentials, f: PaidFacts, refund: { out_refund_no: string; amount: number; refund_id?: string; status?: SandboxRefund['status'] },
  nowMs = Date.now(),
): SignedRequest {
  const order = sandboxOrderOf(creds, f);
  const r: SandboxRefund = {
    channel: f.channel, out_refund_no: refund.out_refund_no, out_trade_no: f.out_trade_no, refund_id: refund.refund_id ?? `50${refund.out_refund_no.slice(-20)}`,
    amount: refund.amount, total: f.amount, status: refund.status ?? 'SUCCESS', created_at: nowMs - 500, success_at: nowMs - 100,
  };
  const out = f.channel === 'wxpay'
    ? buildV3Notification(creds, `ev-${refund.out_refund_no}`, nowMs, order, r, undefined, nowMs)
    : f.channel === 'alipay'
      ? buildAlipayNotification(creds, `ev-${refund.out_refund_no}`, order, r, [r], undefined, nowMs)
      : buildV2Notification(creds, order, r, undefined);
  return { headers: lower(out.headers), body: out.body };
}

/** A pending order document as createPayment stores it (fields the notify path and the timer read). */
export function pendingOrderDoc(f: { channel: BenchChannel; out_trade_no: string; amount: number; user_id: string; type?: string; now?: number }): Record<string, unknown> {
  const now = f.now ?? Date.now();
  return {
    out_trade_no: f.out_trade_no, user_id: f.user_id, type: f.type ?? 'recharge', provider: f.channel === 'alipay' ? 'alipay' : 'wxpay', channel: f.channel,
    pay_type: f.channel === 'alipay' ? 'qr' : 'native', amount: f.amount, subject: 'bench order', status: 'pending',
    create_date: now, update_date: now, expires_at: now + 2 * 3600_000, fingerprint: f.out_trade_no, dedupe_key: `bench:${f.out_trade_no}`,
    refunded_amount: 0, refund_in_flight: 0, refundable_remaining: 0, refunds_reserved: [], refunds_done: [], refunds_released: [], history: [],
  };
}

/** Distinct, valid order numbers (6-32 of [A-Za-z0-9]) and provider transaction ids for a run. */
export function benchOrders(prefix: string, n: number, channel: BenchChannel, now = Date.now()): PaidFacts[] {
  const run = randomUUID().replace(/-/g, '').slice(0, 6);
  return Array.from({ length: n }, (_, i) => ({
    channel, out_trade_no: `${prefix}${run}${String(i).padStart(7, '0')}`, amount: 100 + (i % 900),
    transaction_id: `42${run.replace(/[a-f]/g, '7')}${String(i).padStart(12, '0')}`, paid_at: now - 2000,
  }));
}

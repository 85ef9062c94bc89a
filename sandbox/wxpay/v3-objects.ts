/**
 * The JSON objects WeChat Pay v3 answers with and notifies (docs/PROTOCOLS.md section 2): the transaction and the
 * refund, and the encrypted, signed notification that carries them.
 */
import { randomUUID } from 'node:crypto';
import { randomAlnum, type SandboxCredentials } from '../credentials';
import { corruptSignature } from '../context';
import type { FaultSettings } from '../faults';
import { rfc3339China } from '../http-io';
import type { OutgoingNotification } from '../notifier';
import { aeadEncrypt } from '../protocol/crypto';
import type { SandboxOrder, SandboxRefund } from '../state';
import { signV3 } from './v3-auth';

const STATE_DESC: Record<string, string> = {
  SUCCESS: '支付成功', NOTPAY: '订单未支付', CLOSED: '订单已关闭', REFUND: '转入退款',
};

export function v3TradeState(order: SandboxOrder): string {
  if (order.status === 'SUCCESS') return order.refunded > 0 ? 'REFUND' : 'SUCCESS';
  if (order.status === 'CLOSED' && order.failed_reason) return 'PAYERROR';
  return order.status;
}

/**
 * Who an order is for, as its messages say it: appid + mchid for a direct merchant; sp_appid, sp_mchid, sub_mchid
 * (and sub_appid when the order named it) for a service provider's (docs/PROTOCOLS.md section 2, partner mode).
 */
function merchantFields(order: SandboxOrder): Record<string, unknown> {
  if (!order.sub_merchant_id) return { appid: order.app_id, mchid: order.merchant_id };
  return { sp_appid: order.app_id, sp_mchid: order.merchant_id, ...(order.sub_app_id ? { sub_appid: order.sub_app_id } : {}), sub_mchid: order.sub_merchant_id };
}

function payerOf(order: SandboxOrder): Record<string, string> {
  if (!order.payer_id) return {};
  return order.sub_merchant_id ? { [order.payer_field ?? 'sp_openid']: order.payer_id } : { openid: order.payer_id };
}

/** The transaction object of a query answer and of TRANSACTION.SUCCESS (amount shift: tamper). */
export function v3Transaction(order: SandboxOrder, amountShift = 0): Record<string, unknown> {
  const state = v3TradeState(order);
  const paid = order.status === 'SUCCESS';
  const total = order.amount + amountShift;
  const tx: Record<string, unknown> = {
    amount: paid ? { currency: 'CNY', payer_currency: 'CNY', payer_total: total, total } : { currency: 'CNY', payer_currency: 'CNY', total },
    ...merchantFields(order),
    attach: order.attach ?? '',
    out_trade_no: order.out_trade_no,
    payer: payerOf(order),
    promotion_detail: [],
    trade_state: state,
    trade_state_desc: state === 'PAYERROR' ? order.failed_reason : STATE_DESC[state],
  };
  if (paid) {
    Object.assign(tx, {
      bank_type: 'OTHERS',
      success_time: rfc3339China(order.paid_at ?? order.created_at),
      trade_type: order.pay_type,
      transaction_id: order.transaction_id,
    });
  }
  return tx;
}

export function v3Refund(refund: SandboxRefund, order: SandboxOrder): Record<string, unknown> {
  const r: Record<string, unknown> = {
    amount: {
      currency: 'CNY', discount_refund: 0, from: [], payer_refund: refund.amount, payer_total: order.amount,
      refund: refund.amount, refund_fee: 0, settlement_refund: refund.amount, settlement_total: order.amount, total: refund.total,
    },
    channel: 'ORIGINAL',
    create_time: rfc3339China(refund.created_at),
    funds_account: 'AVAILABLE',
    out_refund_no: refund.out_refund_no,
    out_trade_no: refund.out_trade_no,
    promotion_detail: [],
    refund_id: refund.refund_id,
    status: refund.status,
    transaction_id: order.transaction_id,
    user_received_account: '支付用户零钱',
  };
  if (refund.success_at !== undefined) r.success_time = rfc3339China(refund.success_at);
  return r;
}

/** The decrypted resource of a REFUND.* notification (a smaller shape than the refund object). */
function refundResource(refund: SandboxRefund, order: SandboxOrder, amountShift: number): Record<string, unknown> {
  return {
    amount: { payer_refund: refund.amount + amountShift, payer_total: order.amount, refund: refund.amount + amountShift, total: refund.total },
    // a partner refund names the service provider and the sub-merchant, no appids
    ...(order.sub_merchant_id ? { sp_mchid: order.merchant_id, sub_mchid: order.sub_merchant_id } : { mchid: order.merchant_id }),
    out_refund_no: refund.out_refund_no,
    out_trade_no: refund.out_trade_no,
    refund_id: refund.refund_id,
    refund_status: refund.status,
    success_time: refund.success_at !== undefined ? rfc3339China(refund.success_at) : undefined,
    transaction_id: order.transaction_id,
    user_received_account: '支付用户零钱',
  };
}

const REFUND_SUMMARY: Record<string, string> = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭' };

function envelope(creds: SandboxCredentials, eventId: string, createdAt: number, refundStatus: string | undefined, plaintext: string, nonce: string): string {
  const refund = refundStatus !== undefined;
  const aad = refund ? 'refund' : 'transaction';
  return JSON.stringify({
    id: eventId,
    create_time: rfc3339China(createdAt),
    resource_type: 'encrypt-resource',
    event_type: refund ? `REFUND.${refundStatus}` : 'TRANSACTION.SUCCESS',
    summary: refund ? REFUND_SUMMARY[refundStatus] : '支付成功',
    resource: {
      original_type: aad,
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: aeadEncrypt(creds.wxpay.apiV3Key, nonce, aad, plaintext),
      associated_data: aad,
      nonce,
    },
  });
}

/**
 * One delivery of a v3 notification: the resource encrypted with the merchant's APIv3 key, the body signed
 * with the platform key at the moment of sending (each resend is signed afresh, like WeChat's).
 */
export function buildV3Notification(
  creds: SandboxCredentials, eventId: string, createdAt: number, order: SandboxOrder, refund: SandboxRefund | undefined,
  tamper: FaultSettings['tamper'], nowMs: number,
): OutgoingNotification {
  const resource = (shift: number) => JSON.stringify(refund ? refundResource(refund, order, shift) : v3Transaction(order, shift));
  const nonce = randomAlnum(12);
  const body = envelope(creds, eventId, createdAt, refund?.status, resource(0), nonce);
  const stamp = Math.floor(nowMs / 1000) - (tamper === 'timestamp' ? 600 : 0);
  const signed = signV3(creds, body, stamp);
  let sent = body;
  if (tamper === 'amount') sent = envelope(creds, eventId, createdAt, refund?.status, resource(1), nonce);
  if (tamper === 'signature') signed['Wechatpay-Signature'] = corruptSignature(signed['Wechatpay-Signature']);
  return {
    headers: {
      'Content-Type': 'application/json',
      'Request-ID': randomUUID(),
      'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
      ...signed,
    },
    body: sent,
  };
}

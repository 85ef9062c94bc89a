/**
 * What the Alipay gateway prints: `{"<method>_response":{...},"sign":"..."}` with the sign over the raw text of
 * the response object (slashes escaped as `\/`, as Alipay's JSON does), and the form-encoded asynchronous
 * notification signed over every field except sign and sign_type (docs/PROTOCOLS.md section 4).
 */
import { fenToYuan } from '../../uni_modules/vk-pay/common/money';
import type { SandboxCredentials } from '../credentials';
import { corruptSignature } from '../context';
import type { FaultSettings } from '../faults';
import { dateTimeChina } from '../http-io';
import type { OutgoingNotification } from '../notifier';
import { alipaySignContent, rsaSign } from '../protocol/crypto';
import type { SandboxOrder, SandboxRefund } from '../state';
import { alipaySigner } from './certs';

export function responseKey(method: string): string {
  return `${method.replace(/\./g, '_')}_response`;
}

/** The whole response text; `signed` false only for error_response (no method to answer for). */
export function alipayResponseText(creds: SandboxCredentials, key: string, obj: Record<string, unknown>, signed = true): string {
  const inner = JSON.stringify(obj).replace(/\//g, '\\/');
  if (!signed) return `{"${key}":${inner}}`;
  const signer = alipaySigner(creds);
  const sign = rsaSign(inner, signer.privateKeyPem);
  // certificate mode: the SN of the certificate that verifies this answer, beside the sign (outside what it covers)
  const certSn = signer.certSn;
  return certSn ? `{"${key}":${inner},"alipay_cert_sn":"${certSn}","sign":"${sign}"}` : `{"${key}":${inner},"sign":"${sign}"}`;
}

export function tradeStatus(order: SandboxOrder): string {
  if (order.status === 'NOTPAY') return 'WAIT_BUYER_PAY';
  if (order.status === 'CLOSED') return 'TRADE_CLOSED';
  return order.refunded >= order.amount ? 'TRADE_CLOSED' : 'TRADE_SUCCESS';
}

/** Sandbox buyers: a stable 2088... id and a masked logon id per order, derived from the trade number. */
export function buyerOf(order: SandboxOrder): { buyer_id: string; buyer_logon_id: string } {
  return { buyer_id: order.payer_id && /^2088\d{12}$/.test(order.payer_id) ? order.payer_id : `2088${order.transaction_id.slice(-12)}`, buyer_logon_id: 'san***@sandbox.com' };
}

export function queryFields(order: SandboxOrder): Record<string, unknown> {
  const paid = order.status === 'SUCCESS';
  const yuan = fenToYuan(order.amount);
  const out: Record<string, unknown> = {
    code: '10000', msg: 'Success', out_trade_no: order.out_trade_no, trade_no: order.transaction_id,
    trade_status: tradeStatus(order), total_amount: yuan,
  };
  if (paid) {
    const buyer = buyerOf(order);
    Object.assign(out, {
      buyer_logon_id: buyer.buyer_logon_id, buyer_user_id: buyer.buyer_id, buyer_pay_amount: yuan, invoice_amount: yuan,
      point_amount: '0.00', receipt_amount: yuan, send_pay_date: dateTimeChina(order.paid_at ?? order.created_at),
      fund_bill_list: [{ amount: yuan, fund_channel: 'ALIPAYACCOUNT' }],
    });
  }
  return out;
}

/** Refunded total up to and including `refund` (resends of an old notification keep their own figure). */
function refundedUpTo(refunds: SandboxRefund[], refund: SandboxRefund): number {
  return refunds.filter((r) => r.created_at <= refund.created_at).reduce((s, r) => s + r.amount, 0);
}

export function buildAlipayNotification(
  creds: SandboxCredentials, eventId: string, order: SandboxOrder, refund: SandboxRefund | undefined, allRefunds: SandboxRefund[],
  tamper: FaultSettings['tamper'], nowMs: number, closedUnpaid = false,
): OutgoingNotification {
  const yuan = fenToYuan(order.amount);
  const buyer = buyerOf(order);
  const fields: Record<string, string> = {
    // a third-party app's trade names the app that made it and the merchant that authorised it
    app_id: order.app_id, auth_app_id: order.auth_app_id ?? order.app_id, buyer_id: buyer.buyer_id, buyer_logon_id: buyer.buyer_logon_id,
    buyer_pay_amount: yuan, charset: 'utf-8', fund_bill_list: JSON.stringify([{ amount: yuan, fundChannel: 'ALIPAYACCOUNT' }]),
    gmt_create: dateTimeChina(order.created_at), gmt_payment: dateTimeChina(order.paid_at ?? order.created_at),
    invoice_amount: yuan, notify_id: eventId.replace(/-/g, ''), notify_time: dateTimeChina(nowMs), notify_type: 'trade_status_sync',
    out_trade_no: order.out_trade_no, point_amount: '0.00', receipt_amount: yuan, seller_id: order.merchant_id,
    subject: order.subject, total_amount: yuan, trade_no: order.transaction_id, trade_status: 'TRADE_SUCCESS', version: '1.0',
  };
  if (closedUnpaid) {
    // An unpaid trade closed: no payment facts, only the trade and its closing time.
    for (const k of ['buyer_pay_amount', 'fund_bill_list', 'gmt_payment', 'invoice_amount', 'point_amount', 'receipt_amount']) delete fields[k];
    Object.assign(fields, { trade_status: 'TRADE_CLOSED', gmt_close: dateTimeChina(order.closed_at ?? nowMs) });
  }
  if (refund) {
    const refunded = refundedUpTo(allRefunds, refund);
    Object.assign(fields, {
      out_biz_no: refund.out_refund_no, refund_fee: fenToYuan(refunded), gmt_refund: dateTimeChina(refund.success_at ?? refund.created_at),
      trade_status: refunded >= order.amount ? 'TRADE_CLOSED' : 'TRADE_SUCCESS',
    });
    if (refunded >= order.amount) fields.gmt_close = fields.gmt_refund;
  }
  const signer = alipaySigner(creds);
  let sign = rsaSign(alipaySignContent(fields, ['sign', 'sign_type']), signer.privateKeyPem);
  if (tamper === 'signature') sign = corruptSignature(sign);
  if (tamper === 'amount') fields.total_amount = fenToYuan(order.amount + 1);
  if (tamper === 'timestamp') fields.notify_time = dateTimeChina(nowMs - 600_000);
  // certificate mode: the signing certificate's SN beside sign, outside the signed text (docs/PROTOCOLS.md section 6)
  const named: Record<string, string> = signer.certSn ? { alipay_cert_sn: signer.certSn } : {};
  const body = new URLSearchParams({ ...fields, ...named, sign_type: 'RSA2', sign }).toString();
  return { headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body };
}

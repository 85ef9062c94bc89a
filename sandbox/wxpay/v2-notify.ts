/**
 * WeChat v2 notifications (docs/PROTOCOLS.md section 3): the payment result as signed XML (signed with the sign type the
 * order was placed with), and the refund result whose only protection is the AES-256-ECB `req_info`.
 */
import { randomAlnum, type SandboxCredentials } from '../credentials';
import type { FaultSettings } from '../faults';
import { compactChina, dateTimeChina } from '../http-io';
import type { OutgoingNotification } from '../notifier';
import { v2EncryptReqInfo, v2Sign, type V2SignType } from '../protocol/crypto';
import { buildFlatXml } from '../protocol/xml';
import { V2_REFUND_STATUS } from './v2-gateway';
import type { SandboxOrder, SandboxRefund } from '../state';

const HEADERS = { 'Content-Type': 'text/xml' };

export function buildV2Notification(
  creds: SandboxCredentials, order: SandboxOrder, refund: SandboxRefund | undefined, tamper: FaultSettings['tamper'],
): OutgoingNotification {
  if (refund) {
    const inner = (shift: number, time: number) => buildFlatXml({
      out_refund_no: refund.out_refund_no, out_trade_no: refund.out_trade_no, refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS',
      refund_fee: refund.amount + shift, refund_id: refund.refund_id, refund_recv_accout: '支付用户零钱',
      refund_request_source: 'API', refund_status: V2_REFUND_STATUS[refund.status], settlement_refund_fee: refund.amount + shift,
      settlement_total_fee: order.amount, success_time: dateTimeChina(time), total_fee: order.amount,
      transaction_id: order.transaction_id,
    }, 'root');
    const success = refund.success_at ?? refund.created_at;
    let reqInfo = v2EncryptReqInfo(inner(tamper === 'amount' ? 1 : 0, tamper === 'timestamp' ? success - 600_000 : success), creds.wxpay.apiV2Key);
    // No signature exists here: "signature" tampering cuts the ciphertext off mid-block, so it cannot decrypt.
    if (tamper === 'signature') reqInfo = Buffer.from(reqInfo, 'base64').subarray(0, -5).toString('base64');
    const body = buildFlatXml({ return_code: 'SUCCESS', appid: order.app_id, mch_id: order.merchant_id, nonce_str: randomAlnum(32), req_info: reqInfo });
    return { headers: HEADERS, body };
  }
  const signType = (order.sign_type ?? 'MD5') as V2SignType;
  const fields: Record<string, string | number | undefined> = {
    appid: order.app_id, attach: order.attach, bank_type: 'OTHERS', cash_fee: order.amount, fee_type: 'CNY',
    is_subscribe: 'N', mch_id: order.merchant_id, nonce_str: randomAlnum(32), openid: order.payer_id ?? `o${randomAlnum(27)}`,
    out_trade_no: order.out_trade_no, result_code: 'SUCCESS', return_code: 'SUCCESS',
    sign_type: signType === 'MD5' ? undefined : signType, time_end: compactChina(order.paid_at ?? order.created_at),
    total_fee: order.amount, trade_type: order.pay_type, transaction_id: order.transaction_id,
  };
  fields.sign = v2Sign(fields, creds.wxpay.apiV2Key, signType);
  if (tamper === 'signature') fields.sign = (fields.sign as string).replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
  if (tamper === 'amount') { fields.total_fee = order.amount + 1; fields.cash_fee = order.amount + 1; }
  if (tamper === 'timestamp') fields.time_end = compactChina((order.paid_at ?? order.created_at) - 600_000);
  return { headers: HEADERS, body: buildFlatXml(fields) };
}

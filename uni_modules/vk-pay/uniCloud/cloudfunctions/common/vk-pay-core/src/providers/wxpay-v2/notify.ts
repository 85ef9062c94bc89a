/**
 * WeChat v2 notifications. Payment: XML with `sign`, verified (constant-time) before anything is read.
 * Refund: XML without sign whose `req_info` must decrypt (AES-256-ECB, md5(key)); that is its only proof.
 * v2 has no notification id: event_id is built from the provider ids that stay fixed across redeliveries.
 */
import { ParamError, SignatureError } from '../../../../../../../common/errors';
import { fenFromDigits, parseCompactBeijing, parseDashedBeijing } from '../shared';
import type { IncomingNotification, NotificationOutcome, NotifyReply } from '../types';
import type { ResolvedWxpayV2Config } from './config';
import { decryptReqInfo, signTypeOf, verifyV2 } from './signing';
import { buildV2Xml, parseV2Xml } from './xml';

/** An unparsable body (or one with nested or repeated elements) cannot be verified: refused like a bad signature. */
function parseOrRefuse(text: string, what = 'notification'): Record<string, string> {
  try {
    return parseV2Xml(text, true);
  } catch {
    throw new SignatureError(`wxpay-v2 ${what} is not flat v2 XML`);
  }
}

export function verifyWxpayV2Notification(r: ResolvedWxpayV2Config, req: IncomingNotification, nowMs: number): NotificationOutcome {
  const n = parseOrRefuse(req.rawBody ?? '');
  const merchant = { app_id: n.appid, merchant_id: n.mch_id };

  if (n.req_info !== undefined) {
    // No sign: decrypting to a complete refund record is the only proof, so anything short of that is unverified.
    const info = parseOrRefuse(decryptReqInfo(n.req_info, r.key), 'req_info');
    const status = info.refund_status ?? '';
    const raw = { ...n, req_info: info };
    if (!info.out_refund_no || !info.out_trade_no) throw new SignatureError('wxpay-v2 req_info without out_refund_no/out_trade_no');
    const eventId = `refund:${info.refund_id || info.out_refund_no}:${status}`;
    if (status !== 'SUCCESS' && status !== 'REFUNDCLOSE' && status !== 'CHANGE') {
      return { kind: 'ignored', event_id: eventId, out_trade_no: info.out_trade_no, reason: `refund_status ${status}`, channel: 'wxpay-v2', merchant, raw };
    }
    return {
      kind: status === 'SUCCESS' ? 'refund_succeeded' : status === 'CHANGE' ? 'refund_held' : 'refund_failed', event_id: eventId, channel: 'wxpay-v2', merchant, raw,
      out_trade_no: info.out_trade_no, out_refund_no: info.out_refund_no, refund_id: info.refund_id || undefined,
      amount: fenFromDigits(info.refund_fee, 'refund_fee'), success_at: parseDashedBeijing(info.success_time),
    };
  }

  if (!verifyV2(n, r.key, signTypeOf(n))) throw new SignatureError('wxpay-v2 notification sign does not verify');
  if (n.return_code !== 'SUCCESS' || n.result_code !== 'SUCCESS') {
    return { kind: 'ignored', event_id: `pay:${n.out_trade_no}:${n.nonce_str}`, out_trade_no: n.out_trade_no, reason: `result_code ${n.result_code} ${n.err_code ?? ''}`.trim(), channel: 'wxpay-v2', merchant, raw: n };
  }
  if (!n.transaction_id || !n.out_trade_no) throw new ParamError('wxpay-v2 notification without transaction_id/out_trade_no');
  return {
    kind: 'paid', event_id: `pay:${n.transaction_id}`, channel: 'wxpay-v2', merchant, raw: n,
    out_trade_no: n.out_trade_no, transaction_id: n.transaction_id,
    amount: fenFromDigits(n.total_fee, 'total_fee'), paid_at: parseCompactBeijing(n.time_end) ?? nowMs,
  };
}

/** The XML reply v2 expects; FAIL (and a 500) makes WeChat redeliver. */
export function wxpayV2NotifyReply(ok: boolean): NotifyReply {
  const body = ok ? buildV2Xml({ return_code: 'SUCCESS', return_msg: 'OK' }) : buildV2Xml({ return_code: 'FAIL', return_msg: 'FAIL' });
  return { statusCode: ok ? 200 : 500, headers: { 'content-type': 'text/xml; charset=utf-8' }, body };
}

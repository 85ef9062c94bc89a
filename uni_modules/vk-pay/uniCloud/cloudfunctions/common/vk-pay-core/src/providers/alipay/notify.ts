/**
 * Alipay asynchronous notifications: the form-urlencoded raw body is parsed once (values decoded once, never
 * again), verified with sign and sign_type excluded and empty values dropped, then mapped onto an outcome.
 * event_id = notify_id (Alipay keeps it across redeliveries).
 */
import type { KeyObject } from 'node:crypto';
import { ParamError, SignatureError } from '../../../../../../../common/errors';
import type { IncomingNotification, NotificationOutcome, NotifyReply } from '../types';
import { fenFromYuan } from './amounts';
import type { ResolvedAlipayConfig } from './config';
import { parseAlipayTimestamp, verifyAlipayNotify } from './signing';

/** A form-urlencoded body is printable ASCII: everything else arrives percent-encoded. */
const FORM_BODY = /^[\x20-\x7e]*$/;

/**
 * The form as a map. Refused as unverifiable: a body that is not form-urlencoded ASCII (the gateway never sends
 * raw bytes), and a repeated parameter (which of its values was signed would be a guess).
 */
export function parseAlipayForm(rawBody: string): Record<string, string> {
  if (!FORM_BODY.test(rawBody)) throw new SignatureError('alipay notification body is not form-urlencoded ASCII');
  const form: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawBody)) {
    if (Object.prototype.hasOwnProperty.call(form, k)) throw new SignatureError(`alipay notification repeats ${k.slice(0, 32)}`);
    form[k] = v;
  }
  return form;
}

/**
 * The keys a notification may verify with. Certificate mode: one naming alipay_cert_sn verifies with that
 * certificate only (downloaded first when Alipay changed it, cert-store.ts); one naming none with any held.
 * A download is only worth asking for a notification addressed to this app.
 */
async function notificationKeys(r: ResolvedAlipayConfig, form: Record<string, string>): Promise<KeyObject[]> {
  if (!r.certStore) return [r.alipayKey];
  const sn = form.alipay_cert_sn;
  if (!sn) return r.certStore.keys();
  if (sn === r.alipayCertSn) return [r.alipayKey];
  const ours = [r.config.appId, r.config.mpAppId, r.config.authAppId];
  if (!ours.includes(form.app_id) && !ours.includes(form.auth_app_id)) throw new SignatureError(`alipay notification under alipay_cert_sn ${sn.slice(0, 40)} for app_id ${String(form.app_id).slice(0, 32)}, not this app`);
  const got = await r.certStore.keyFor(sn);
  if ('key' in got) return [got.key];
  throw new SignatureError(`alipay notification signed under unknown alipay_cert_sn ${sn.slice(0, 40)}: ${got.problem}`);
}

/**
 * alipay_cert_sn travels beside sign, outside the signed text as the SDKs that read it have it (docs/PROTOCOLS.md
 * section 6); a signature over the text with it is accepted too - either way only Alipay's key made it.
 */
function notifySignVerifies(form: Record<string, string>, key: KeyObject): boolean {
  if (form.alipay_cert_sn === undefined) return verifyAlipayNotify(form, key);
  const { alipay_cert_sn: _sn, ...rest } = form;
  return verifyAlipayNotify(rest, key) || verifyAlipayNotify(form, key);
}

export async function verifyAlipayNotification(r: ResolvedAlipayConfig, req: IncomingNotification, nowMs: number): Promise<NotificationOutcome> {
  const form = parseAlipayForm(req.rawBody ?? '');
  if (!form.sign) throw new SignatureError('alipay notification without sign');
  // sign_type is not itself signed: only the one the gateway sends is accepted, not whatever a body claims
  if (form.sign_type !== 'RSA2') throw new SignatureError(`alipay notification sign_type ${String(form.sign_type).slice(0, 16)} refused (RSA2 only)`);
  const keys = await notificationKeys(r, form);
  if (!keys.some((k) => notifySignVerifies(form, k))) throw new SignatureError('alipay notification sign does not verify');
  const eventId = form.notify_id;
  if (!eventId) throw new ParamError('alipay notification without notify_id');
  const outTradeNo = form.out_trade_no;
  if (!outTradeNo) throw new ParamError('alipay notification without out_trade_no');
  // Third-party app mode: app_id is the third-party app (ours, or the message is not for this config) and
  // auth_app_id the merchant that authorised it; a direct app's notifications carry auth_app_id = app_id.
  if (r.config.appAuthToken && form.app_id !== r.config.appId) throw new SignatureError(`alipay notification app_id ${String(form.app_id).slice(0, 32)} is not this third-party app`);
  const common = { channel: 'alipay' as const, merchant: { app_id: form.auth_app_id || form.app_id, merchant_id: form.seller_id }, raw: form };
  const status = form.trade_status ?? '';

  // A refund shows up as a trade_status_sync carrying refund fields (TRADE_SUCCESS for a partial refund,
  // TRADE_CLOSED for a full one); out_biz_no is our out_request_no = out_refund_no.
  if (form.out_biz_no && form.refund_fee) {
    return {
      kind: 'refund_succeeded', event_id: eventId, out_trade_no: outTradeNo, out_refund_no: form.out_biz_no,
      // refund_fee is the order's TOTAL refunded so far, not this refund's amount (the second partial refund of
      // 3.00 after 2.00 says 5.00): say only that. The refund's own amount comes from fastpay.refund.query.
      refunded_total: fenFromYuan(form.refund_fee, 'refund_fee'),
      success_at: parseAlipayTimestamp(form.gmt_refund), ...common,
    };
  }
  if (status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED') {
    if (!form.trade_no) throw new ParamError('alipay notification without trade_no');
    return {
      kind: 'paid', event_id: eventId, out_trade_no: outTradeNo, transaction_id: form.trade_no,
      amount: fenFromYuan(form.total_amount, 'total_amount'),
      paid_at: parseAlipayTimestamp(form.gmt_payment) ?? nowMs, ...common,
    };
  }
  if (status === 'TRADE_CLOSED') return { kind: 'closed', event_id: eventId, out_trade_no: outTradeNo, ...common };
  return { kind: 'ignored', event_id: eventId, out_trade_no: outTradeNo, reason: `trade_status ${status || '(none)'}`, ...common };
}

/** Exactly `success` acknowledges; anything else makes Alipay redeliver. */
export function alipayNotifyReply(ok: boolean): NotifyReply {
  return ok
    ? { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'success' }
    : { statusCode: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'fail' };
}

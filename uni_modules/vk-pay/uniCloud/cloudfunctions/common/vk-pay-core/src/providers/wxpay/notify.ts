/**
 * WeChat Pay v3 notifications: verify the raw body (probe, 300 s window, key by Wechatpay-Serial) BEFORE
 * anything else, then decrypt the resource (AEAD_AES_256_GCM), then map the event onto an outcome.
 * event_id is the notification `id`, which WeChat keeps across redeliveries.
 */
import { ParamError, SignatureError } from '../../../../../../../common/errors';
import { isFen } from '../../../../../../../common/money';
import { parseRfc3339 } from '../shared';
import type { IncomingNotification, NotificationOutcome, NotifyReply } from '../types';
import type { ResolvedWxpayConfig } from './config';
import { decryptAeadAes256Gcm, pickWechatpayHeaders, verifyV3Signed } from './signing';
import { wxpayRoutes, type WxpayRoutes } from './partner';

interface Envelope {
  id?: string;
  create_time?: string;
  event_type?: string;
  resource_type?: string;
  summary?: string;
  resource?: { algorithm?: string; ciphertext?: string; associated_data?: string; nonce?: string; original_type?: string };
}

function parseJson<T>(text: string, what: string): T {
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object') throw new Error('not an object');
    return value as T;
  } catch {
    throw new ParamError(`${what} is not a JSON object`);
  }
}

function fen(value: unknown, field: string): number {
  if (!isFen(value)) throw new ParamError(`${field} is not a positive integer of fen`);
  return value;
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new ParamError(`${field} missing`);
  return value;
}

/**
 * `routes` (partner.ts) say how the decrypted resource names the merchant: appid + mchid for a direct merchant;
 * sp_appid/sub_appid + sp_mchid/sub_mchid for a service provider, whose sp_mchid must be ours (another provider's
 * message is not this merchant's: 40002, so the next configured merchant may try it).
 */
export function verifyWxpayNotification(r: ResolvedWxpayConfig, req: IncomingNotification, nowMs: number, routes: WxpayRoutes = wxpayRoutes(r.config)): NotificationOutcome {
  verifyV3Signed(pickWechatpayHeaders(req.headers), req.rawBody, r.verifyKeys, nowMs);
  const env = parseJson<Envelope>(req.rawBody, 'notification body');
  const eventId = str(env.id, 'notification id');
  const res = env.resource;
  if (!res || res.algorithm !== 'AEAD_AES_256_GCM') throw new ParamError('notification resource is not AEAD_AES_256_GCM');
  const plain = decryptAeadAes256Gcm(r.config.apiV3Key, res.nonce ?? '', res.associated_data ?? '', res.ciphertext ?? '');
  const data = parseJson<Record<string, any>>(plain, 'decrypted resource');
  const foreign = routes.foreignProvider(data);
  if (foreign) throw new SignatureError(foreign);
  const merchant = routes.merchantOf(data);
  const raw = { id: env.id, create_time: env.create_time, event_type: env.event_type, summary: env.summary, resource: data };
  const eventType = env.event_type ?? '';

  if (eventType === 'TRANSACTION.SUCCESS') {
    if (data.trade_state !== 'SUCCESS') {
      return { kind: 'ignored', event_id: eventId, out_trade_no: data.out_trade_no, reason: `trade_state ${data.trade_state}`, channel: 'wxpay', merchant, raw };
    }
    return {
      kind: 'paid', channel: 'wxpay', event_id: eventId,
      out_trade_no: str(data.out_trade_no, 'out_trade_no'),
      transaction_id: str(data.transaction_id, 'transaction_id'),
      amount: fen(data.amount?.total, 'amount.total'),
      paid_at: parseRfc3339(data.success_time) ?? nowMs,
      merchant,
      raw,
    };
  }
  if (eventType === 'REFUND.SUCCESS' || eventType === 'REFUND.ABNORMAL' || eventType === 'REFUND.CLOSED') {
    return {
      kind: eventType === 'REFUND.SUCCESS' ? 'refund_succeeded' : eventType === 'REFUND.ABNORMAL' ? 'refund_held' : 'refund_failed', channel: 'wxpay', event_id: eventId,
      out_trade_no: str(data.out_trade_no, 'out_trade_no'),
      out_refund_no: str(data.out_refund_no, 'out_refund_no'),
      refund_id: data.refund_id,
      amount: fen(data.amount?.refund, 'amount.refund'),
      success_at: parseRfc3339(data.success_time),
      merchant,
      raw,
    };
  }
  return { kind: 'ignored', event_id: eventId, out_trade_no: data.out_trade_no, reason: `event_type ${eventType}`, channel: 'wxpay', merchant, raw };
}

/** 200 + SUCCESS json acknowledges; a 500 + FAIL makes WeChat redeliver on its schedule. */
export function wxpayNotifyReply(ok: boolean): NotifyReply {
  return ok
    ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'SUCCESS', message: '成功' }) }
    : { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'FAIL', message: '失败' }) };
}

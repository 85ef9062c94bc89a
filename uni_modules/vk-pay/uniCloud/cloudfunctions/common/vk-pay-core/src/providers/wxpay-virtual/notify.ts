/**
 * A delivery push (xpay_goods_deliver_notify / xpay_coin_pay_notify) or a refund push (xpay_refund_notify) -> a
 * verified outcome. Order of work: the
 * URL's timestamp window and msg_signature over the ciphertext, then decryption (which checks the receiving
 * appid), then the event's fields. Nothing here reads the database; anything unverifiable is a SignatureError.
 * Field names: docs/PROTOCOLS.md section 12.
 */
import { ParamError, SignatureError } from '../../../../../../../common/errors';
import type { IncomingNotification, NotificationOutcome, NotifyReply } from '../types';
import type { WxpayVirtualConfig } from './config';
import { aesKeyOf, decryptPush, verifyPush, type PushQuery } from './message-crypto';

export const GOODS_EVENT = 'xpay_goods_deliver_notify';
export const COIN_EVENT = 'xpay_coin_pay_notify';
export const REFUND_EVENT = 'xpay_refund_notify';

/** What WeChat reads as "delivered, stop retrying", and what makes it retry. */
export function virtualNotifyReply(ok: boolean): NotifyReply {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(ok ? { ErrCode: 0, ErrMsg: 'success' } : { ErrCode: 1, ErrMsg: 'retry later' }),
  };
}

function objectOf(v: unknown, what: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ParamError(`push ${what} is not an object`);
  return v as Record<string, unknown>;
}

function fen(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ParamError(`push ${what} is not an integer fen amount`);
  return v;
}

export function verifyVirtualPush(config: WxpayVirtualConfig, req: IncomingNotification, nowMs: number): NotificationOutcome {
  let envelope: Record<string, unknown>;
  try {
    envelope = objectOf(JSON.parse(req.rawBody), 'body');
  } catch {
    throw new SignatureError('push body is not the JSON envelope {ToUserName, Encrypt}');
  }
  const encrypt = typeof envelope.Encrypt === 'string' ? envelope.Encrypt : '';
  verifyPush(config.token, (req.query ?? {}) as PushQuery, encrypt, nowMs);
  const plain = decryptPush(aesKeyOf(config.encodingAESKey), encrypt, config.appId);

  // From here the message is proven WeChat's: a field that does not read is refused for good, not retried.
  let msg: Record<string, unknown>;
  try {
    msg = objectOf(JSON.parse(plain), 'message');
  } catch {
    throw new ParamError('push message is not JSON');
  }
  const raw = { ...msg };
  const merchant = { app_id: config.appId };
  const event = String(msg.Event ?? '');
  const out_trade_no = typeof msg.OutTradeNo === 'string' ? msg.OutTradeNo : '';
  if (event === REFUND_EVENT) return refundOutcome(msg, raw, merchant);
  if (event !== GOODS_EVENT && event !== COIN_EVENT) {
    return { kind: 'ignored', event_id: `${event}:${out_trade_no}:${String(msg.CreateTime ?? '')}`.slice(0, 128), out_trade_no: out_trade_no || undefined, reason: `event ${event.slice(0, 64)}`, channel: 'wxpay-virtual', merchant, raw };
  }
  if (!out_trade_no) throw new ParamError('push carries no OutTradeNo');
  const env = Number(msg.Env);
  if (env !== (config.env ?? 0)) throw new ParamError(`push is for env ${String(msg.Env)}, this config pays in env ${config.env ?? 0}`);
  const pay = objectOf(msg.WeChatPayInfo, 'WeChatPayInfo');
  const info = objectOf(event === GOODS_EVENT ? msg.GoodsInfo : msg.CoinInfo, event === GOODS_EVENT ? 'GoodsInfo' : 'CoinInfo');
  const transaction_id = typeof pay.TransactionId === 'string' && pay.TransactionId ? pay.TransactionId : '';
  if (!transaction_id) throw new ParamError('push carries no WeChatPayInfo.TransactionId');
  const paidSeconds = Number(pay.PaidTime);
  return {
    kind: 'paid',
    // one delivery per order: WeChat repeats the same OutTradeNo until answered
    event_id: `${event}:${out_trade_no}`,
    out_trade_no,
    transaction_id,
    // vk-pay sells one item per goods order, so the item's actual price is the order's amount
    amount: fen(info.ActualPrice, 'ActualPrice'),
    paid_at: Number.isFinite(paidSeconds) && paidSeconds > 0 ? paidSeconds * 1000 : nowMs,
    channel: 'wxpay-virtual',
    merchant,
    raw,
  };
}

/**
 * xpay_refund_notify: the end of a refund task. `MchRefundId` is the refund_order_id we sent (our out_refund_no),
 * `MchOrderId` the payment's outTradeNo, `RefundFee` this refund's fen, `RetCode` 0 success, anything else a
 * failure (`RetMsg` says why). The push names no environment. One event per refund and result: WeChat repeats it
 * (RetryTimes) until answered.
 */
function refundOutcome(msg: Record<string, unknown>, raw: Record<string, unknown>, merchant: { app_id: string }): NotificationOutcome {
  const out_refund_no = typeof msg.MchRefundId === 'string' ? msg.MchRefundId : '';
  const out_trade_no = typeof msg.MchOrderId === 'string' ? msg.MchOrderId : '';
  if (!out_refund_no || !out_trade_no) throw new ParamError('refund push carries no MchRefundId or MchOrderId');
  if (typeof msg.RetCode !== 'number' || !Number.isSafeInteger(msg.RetCode)) throw new ParamError('refund push RetCode is not an integer');
  const ok = msg.RetCode === 0;
  // a success must say how much (the books check it against the refund); a failure concerns our own record's amount
  const amount = ok || msg.RefundFee !== undefined ? fen(msg.RefundFee, 'RefundFee') : undefined;
  if (ok && amount === 0) throw new ParamError('refund push reports a success of 0 fen');
  const doneSeconds = Number(msg.RefundSuccTimestamp);
  const refund_id = typeof msg.WxRefundId === 'string' && msg.WxRefundId ? msg.WxRefundId : undefined;
  return {
    kind: ok ? 'refund_succeeded' : 'refund_failed',
    event_id: `${REFUND_EVENT}:${out_refund_no}:${ok ? 'ok' : 'fail'}`,
    out_trade_no, out_refund_no, refund_id, amount,
    success_at: ok && Number.isFinite(doneSeconds) && doneSeconds > 0 ? doneSeconds * 1000 : undefined,
    channel: 'wxpay-virtual', merchant, raw,
  };
}

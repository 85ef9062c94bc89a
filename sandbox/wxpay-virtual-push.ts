/**
 * The sandbox's virtual payment message pushes (docs/PROTOCOLS.md section 12), encrypted for the mini program and
 * signed in the URL as in safe mode: the delivery of a paid order (xpay_goods_deliver_notify /
 * xpay_coin_pay_notify) and the end of a refund task (xpay_refund_notify). One attempt per call; the notifier
 * retries and applies the drop / duplicate / delay faults, the `tamper` fault is applied here.
 */
import { randomBytes } from 'node:crypto';
import { aesKeyOf, encryptPush, pushSignature } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/message-crypto';
import type { SandboxCredentials } from './credentials';
import type { OutgoingNotification } from './notifier';
import type { SandboxNotification, SandboxOrder, SandboxRefund } from './state';

type Tamper = SandboxNotification['faults']['tamper'];

/** The event of a paid order, or undefined for an order that is not a virtual payment. */
function deliveryEvent(order: SandboxOrder, n: SandboxNotification, tamper: Tamper, nowMs: number): Record<string, unknown> | undefined {
  const vp = order.virtual;
  if (!vp) return undefined;
  const goods = vp.mode === 'short_series_goods';
  const actual = tamper === 'amount' ? order.amount + 1 : order.amount;
  const info = { Quantity: vp.quantity, OrigPrice: vp.unit_price, ActualPrice: actual, Attach: order.attach ?? '' };
  return {
    Event: goods ? 'xpay_goods_deliver_notify' : 'xpay_coin_pay_notify',
    OpenId: order.payer_id, OutTradeNo: order.out_trade_no, Env: vp.env,
    WeChatPayInfo: { MchOrderNo: `M${order.transaction_id.slice(4)}`, TransactionId: order.transaction_id, PaidTime: Math.floor((order.paid_at ?? nowMs) / 1000) },
    ...(goods ? { GoodsInfo: { ProductId: vp.product_id, ...info } } : { CoinInfo: info }),
    CreateTime: Math.floor(n.created_at / 1000),
  };
}

/** The end of a refund task: RetCode 0 for a refund that reached the payer, 1 (with RetMsg) for one that failed. */
function refundEvent(order: SandboxOrder, refund: SandboxRefund, n: SandboxNotification, tamper: Tamper): Record<string, unknown> {
  const ok = refund.status === 'SUCCESS';
  return {
    Event: 'xpay_refund_notify', OpenId: order.payer_id,
    WxRefundId: `wxr${refund.refund_id}`, MchRefundId: refund.out_refund_no, WxOrderId: `wxo${order.transaction_id}`, MchOrderId: order.out_trade_no,
    RefundFee: tamper === 'amount' ? refund.amount + 1 : refund.amount,
    RetCode: ok ? 0 : 1, RetMsg: ok ? 'success' : '退款失败，原路退回的账户不可用',
    RefundStartTimestamp: Math.floor(refund.created_at / 1000), RefundSuccTimestamp: ok ? Math.floor((refund.success_at ?? refund.created_at) / 1000) : 0,
    WxpayRefundTransactionId: ok ? refund.refund_id : '', RetryTimes: n.attempts.length,
    CreateTime: Math.floor(n.created_at / 1000),
  };
}

export function buildVirtualPush(
  creds: SandboxCredentials, n: SandboxNotification, order: SandboxOrder, refund: SandboxRefund | undefined, tamper: Tamper, nowMs: number,
): OutgoingNotification | undefined {
  const v = creds.wxpayVirtual;
  const appId = creds.wxpay.apps.mp.appId;
  const event = n.kind === 'refund' ? (refund ? refundEvent(order, refund, n, tamper) : undefined) : deliveryEvent(order, n, tamper, nowMs);
  if (!event) return undefined;
  const gh = `gh_${appId.slice(2, 14)}`;
  const message = JSON.stringify({ ToUserName: gh, FromUserName: 'oWeChatVirtualPay00000000000', MsgType: 'event', ...event });
  const Encrypt = encryptPush(aesKeyOf(v.encodingAESKey), message, appId);
  const timestamp = String(Math.floor((tamper === 'timestamp' ? nowMs - 600_000 : nowMs) / 1000));
  const nonce = String(randomBytes(4).readUInt32BE(0));
  let msgSignature = pushSignature([v.token, timestamp, nonce, Encrypt]);
  if (tamper === 'signature') msgSignature = `${msgSignature[0] === 'a' ? 'b' : 'a'}${msgSignature.slice(1)}`;
  const url = new URL(n.url);
  url.searchParams.set('signature', pushSignature([v.token, timestamp, nonce]));
  url.searchParams.set('timestamp', timestamp);
  url.searchParams.set('nonce', nonce);
  url.searchParams.set('encrypt_type', 'aes');
  url.searchParams.set('msg_signature', msgSignature);
  return { url: url.toString(), headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ToUserName: gh, Encrypt }) };
}

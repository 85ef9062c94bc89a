/**
 * WeChat mini-program virtual payment in the sandbox (docs/PROTOCOLS.md section 12), checking what WeChat checks:
 *
 *   POST /sandbox/wxapi/cgi-bin/stable_token {grant_type, appid, secret, force_refresh?} -> {access_token, expires_in}
 *   POST /sandbox/wxapi/xpay/<api>?access_token&pay_sig[&signature]: query_order (payments and refund orders),
 *        refund_order (wxpay-virtual-refunds.ts), query_user_balance, currency_pay, cancel_currency_pay
 *        (wxpay-virtual-coins.ts; these also need `signature` = HMAC(session_key, body) of the payer's live session)
 *   POST /sandbox/control/virtual-payment {openid, mode, signData, paySig, signature}: what the device's
 *        uni.requestVirtualPayment does - paySig against the AppKey of signData's env, signature against the
 *        session key of the payer's latest login, the console's offer id - and the order then exists, unpaid
 *   POST /sandbox/control/pay {channel: "wxpay-virtual", out_trade_no}: the payer pays; the delivery push
 *        (encrypted and signed as in safe mode, wxpay-virtual-push.ts) goes to the mini program's message push URL
 *
 * The server APIs answer `{errcode, errmsg}` with HTTP 200 as WeChat does; keys are compared in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GatewayContext, GatewayRequest } from './context';
import type { SandboxCredentials } from './credentials';
import { send } from './http-io';
import { secretMatches } from './login-codes';
import type { OutgoingNotification } from './notifier';
import type { SandboxNotification, SandboxOrder, SandboxRefund } from './state';
import { CoinAccounts } from './wxpay-virtual-coins';
import { buildVirtualPush } from './wxpay-virtual-push';
import { leftFeeOf, paymentOf, refundOrder, refundOrderView } from './wxpay-virtual-refunds';

type Answer = Record<string, unknown>;
const TOKEN_TTL_S = 7200;
const rid = () => `${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
const err = (errcode: number, errmsg: string): Answer => ({ errcode, errmsg: `${errmsg} rid: ${rid()}` });
const hmacHex = (key: string, msg: string) => createHmac('sha256', Buffer.from(key, 'utf8')).update(msg, 'utf8').digest('hex');
const hexEquals = (expected: string, given: unknown) => typeof given === 'string' && given.length === expected.length
  && timingSafeEqual(Buffer.from(expected), Buffer.from(given.toLowerCase()));
const OUT_TRADE_NO_RE = /^(?!_)[0-9A-Za-z_\-|*@]{8,32}$/;
/** the APIs that act for a user: they also carry the user-state `signature` of the payer's live session */
const USER_APIS = new Set(['/xpay/query_user_balance', '/xpay/currency_pay', '/xpay/cancel_currency_pay']);

/** The device's fail callback: WeChat's client error codes (-15005 signature invalid, -15001 parameter error). */
export type DeviceAnswer = { ok: true; order: SandboxOrder } | { ok: false; errCode: number; errMsg: string };

export class VirtualPayment {
  private readonly tokens = new Map<string, { appId: string; expiresAt: number }>();
  private readonly current = new Map<string, string>();
  readonly coins: CoinAccounts;

  constructor(private readonly ctx: GatewayContext, private readonly pushUrl: string) {
    this.coins = new CoinAccounts(ctx);
  }

  private get v(): SandboxCredentials['wxpayVirtual'] { return this.ctx.creds.wxpayVirtual; }
  /** the sandbox's mini program is the app that sells virtual goods */
  private get appId(): string { return this.ctx.creds.wxpay.apps.mp.appId; }
  get miniProgramAppId(): string { return this.appId; }
  private keyOf(env: 0 | 1): string { return env === 1 ? this.v.sandboxAppKey : this.v.appKey; }

  handle(r: GatewayRequest): void {
    const reply = (body: Answer) => send(r.res, 200, { 'content-type': 'application/json; encoding=utf-8' }, JSON.stringify(body));
    if (r.method !== 'POST') return reply(err(43002, 'require POST method'));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(r.rawBody || '{}') as Record<string, unknown>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('shape');
    } catch {
      return reply(err(47001, 'data format error'));
    }
    if (r.subPath === '/cgi-bin/stable_token') return reply(this.stableToken(body));
    if (!r.subPath.startsWith('/xpay/')) return send(r.res, 404, { 'content-type': 'text/plain' }, 'not found');
    const token = this.tokens.get(r.query.get('access_token') ?? '');
    if (!token) return reply(err(40001, 'invalid credential, access_token is invalid or not latest'));
    if (token.expiresAt <= this.ctx.now()) return reply(err(42001, 'access_token expired'));
    if (token.appId !== this.appId) return reply(err(48001, 'api unauthorized'));
    const env = body.env;
    if (env !== 0 && env !== 1) return reply(err(268490002, 'env字段错误'));
    // pay_sig covers the path without the sandbox prefix and the exact body bytes, with the env's AppKey
    if (!hexEquals(hmacHex(this.keyOf(env), `${r.subPath}&${r.rawBody}`), r.query.get('pay_sig'))) return reply(err(90011, 'pay_sig error'));
    if (r.subPath === '/xpay/query_order') return reply(this.queryOrder(body, env));
    if (r.subPath === '/xpay/refund_order') return reply(refundOrder(this.ctx, body, env, err));
    if (!USER_APIS.has(r.subPath)) return reply(err(40066, 'invalid url'));
    // the user-state signature: over the same body with the session key of the payer's latest login
    if (typeof body.openid !== 'string' || !body.openid) return reply(err(268490001, 'openid错误'));
    const session = this.ctx.logins.sessionOf(this.appId, body.openid);
    if (!session) return reply(err(268490009, '用户session_key不存在或已过期，请重新登录'));
    if (!hexEquals(hmacHex(session, r.rawBody), r.query.get('signature'))) return reply(err(90010, 'signature error'));
    if (typeof body.user_ip !== 'string' || !body.user_ip) return reply(err(268490002, 'user_ip字段错误'));
    if (r.subPath === '/xpay/query_user_balance') return reply(this.coins.balance(body.openid, env));
    if (r.subPath === '/xpay/currency_pay') return reply(this.coins.pay(body, body.openid, env, err));
    return reply(this.coins.cancel(body, body.openid, env, err));
  }

  private stableToken(body: Record<string, unknown>): Answer {
    if (body.grant_type !== 'client_credential') return err(40002, 'invalid grant_type');
    const appid = typeof body.appid === 'string' ? body.appid : '';
    const app = appid ? this.ctx.logins.app('wxpay', appid) : undefined;
    if (!app) return err(40013, 'invalid appid');
    if (typeof body.secret !== 'string' || !secretMatches(body.secret, app.secret)) return err(40125, 'invalid appsecret');
    const now = this.ctx.now();
    const held = this.current.get(appid);
    const live = held ? this.tokens.get(held) : undefined;
    // normal mode hands back the live token; force_refresh replaces it (and the old one stops working)
    if (live && live.expiresAt > now && body.force_refresh !== true) return { access_token: held, expires_in: Math.floor((live.expiresAt - now) / 1000) };
    if (held) this.tokens.delete(held);
    const token = randomBytes(48).toString('base64url');
    this.tokens.set(token, { appId: appid, expiresAt: now + TOKEN_TTL_S * 1000 });
    this.current.set(appid, token);
    return { access_token: token, expires_in: TOKEN_TTL_S };
  }

  /** Test seam: the app's live token expires now (WeChat ends tokens on its own schedule). */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = this.ctx.now();
  }

  private queryOrder(body: Record<string, unknown>, env: 0 | 1): Answer {
    if (typeof body.openid !== 'string' || !body.openid) return err(268490002, 'openid字段错误');
    const order = paymentOf(this.ctx, body, env);
    if (!order) {
      // not a payment: maybe one of our refund orders (order_id = its refund_order_id)
      const refund = typeof body.order_id === 'string' ? this.ctx.ledger.refundByNo('wxpay-virtual', body.order_id) : undefined;
      const paidBy = refund && this.ctx.ledger.get('wxpay-virtual', refund.out_trade_no);
      if (!refund || !paidBy || paidBy.payer_id !== body.openid || paidBy.virtual?.env !== env) return err(268490002, '数据不存在');
      return { errcode: 0, errmsg: 'ok', order: refundOrderView(refund, paidBy, env) };
    }
    const delivered = Object.values(this.ctx.state.data.notifications).some((n) => n.order_key === `wxpay-virtual:${order.out_trade_no}` && n.kind === 'payment' && n.state === 'delivered');
    const paid = order.status === 'SUCCESS';
    return {
      errcode: 0, errmsg: 'ok',
      order: {
        order_id: order.out_trade_no, create_time: Math.floor(order.created_at / 1000), update_time: Math.floor((order.paid_at ?? order.created_at) / 1000),
        // the sandbox's reading of the status words: 1 created, 2 paid, 4 delivered, 6 closed
        status: paid ? (delivered ? 4 : 2) : order.status === 'CLOSED' ? 6 : 1,
        biz_type: 0, order_fee: order.amount, coupon_fee: 0, paid_fee: paid ? order.amount : 0, order_type: 0, refund_fee: order.refunded,
        paid_time: paid ? Math.floor((order.paid_at as number) / 1000) : 0, provide_time: delivered ? Math.floor((order.paid_at as number) / 1000) : 0,
        biz_meta: order.attach ?? '', env_type: env === 1 ? 2 : 1, left_fee: leftFeeOf(order),
        wx_order_id: `wxo${order.transaction_id}`, wxpay_order_id: order.transaction_id,
      },
    };
  }

  /** The device's uni.requestVirtualPayment: checks as WeChat's client and server do, then the order exists unpaid. */
  request(input: { openid?: unknown; mode?: unknown; signData?: unknown; paySig?: unknown; signature?: unknown }): DeviceAnswer {
    const bad = (errMsg: string): DeviceAnswer => ({ ok: false, errCode: -15001, errMsg: `requestVirtualPayment:fail ${errMsg}` });
    const badSig = (what: string): DeviceAnswer => ({ ok: false, errCode: -15005, errMsg: `requestVirtualPayment:fail SIGNATURE_INVALID (${what})` });
    if (input.mode !== 'short_series_goods' && input.mode !== 'short_series_coin') return bad('mode');
    if (typeof input.signData !== 'string' || typeof input.openid !== 'string') return bad('signData and openid are required');
    let d: Record<string, unknown>;
    try {
      d = JSON.parse(input.signData) as Record<string, unknown>;
    } catch {
      return bad('signData is not JSON');
    }
    const env = d.env === undefined ? 0 : d.env;
    if (env !== 0 && env !== 1) return bad('env');
    if (d.offerId !== this.v.offerId) return bad('offerId is not this mini program\'s');
    if (d.currencyType !== 'CNY') return bad('currencyType');
    const qty = d.buyQuantity;
    if (typeof qty !== 'number' || !Number.isSafeInteger(qty) || qty <= 0) return bad('buyQuantity');
    if (typeof d.outTradeNo !== 'string' || !OUT_TRADE_NO_RE.test(d.outTradeNo)) return bad('outTradeNo');
    if (typeof d.attach !== 'string') return bad('attach');
    let unit: number;
    if (input.mode === 'short_series_goods') {
      if (typeof d.productId !== 'string' || !d.productId) return bad('productId');
      if (typeof d.goodsPrice !== 'number' || !Number.isSafeInteger(d.goodsPrice) || d.goodsPrice <= 0) return bad('goodsPrice');
      unit = d.goodsPrice;
    } else {
      unit = this.v.coinPrice;
    }
    if (!hexEquals(hmacHex(this.keyOf(env), `requestVirtualPayment&${input.signData}`), input.paySig)) return badSig('paySig');
    const session = this.ctx.logins.sessionOf(this.appId, input.openid);
    if (!session) return bad('the user has no session in this mini program');
    if (!hexEquals(hmacHex(session, input.signData), input.signature)) return badSig('signature');
    const out = this.ctx.ledger.create({
      channel: 'wxpay-virtual', out_trade_no: d.outTradeNo, app_id: this.appId, merchant_id: this.v.offerId, amount: unit * qty,
      subject: input.mode === 'short_series_goods' ? String(d.productId) : `${qty} coins`, pay_type: input.mode, attach: d.attach,
      notify_url: this.pushUrl, payer_id: input.openid,
      virtual: { mode: input.mode, env, quantity: qty, product_id: input.mode === 'short_series_goods' ? String(d.productId) : undefined, unit_price: unit },
    });
    if (!out.ok) return bad(`outTradeNo ${d.outTradeNo} was already used`);
    return { ok: true, order: out.order };
  }

  /** The push of a notification (a delivery, or the end of a refund task), one attempt (wxpay-virtual-push.ts). */
  buildPush(n: SandboxNotification, order: SandboxOrder, refund: SandboxRefund | undefined, tamper: SandboxNotification['faults']['tamper'], nowMs: number): OutgoingNotification | undefined {
    return buildVirtualPush(this.ctx.creds, n, order, refund, tamper, nowMs);
  }
}

/**
 * Test control: what a person does at the cashier, done by a test (`pay`), the code a device's login returns
 * (`login-code`), fault injection (`faults`),
 * `reset`, and read-only views of orders and notification deliveries for assertions and debugging.
 */
import { ParamError } from '../uni_modules/vk-pay/common/errors';
import type { AppleStore } from './appleiap/store';
import type { GatewayRequest } from './context';
import { parseFaultRequest, type FaultSettings } from './faults';
import { sendJson } from './http-io';
import type { Ledger } from './ledger';
import type { LoginCodes, LoginProvider } from './login-codes';
import { isNotifyChannel, isSandboxChannel, type NotifyChannel, type SandboxChannel, type SandboxNotification, type SandboxOrder, type SandboxState, type SandboxTransfer } from './state';
import type { Payouts } from './payouts';
import type { AuthCodes, SandboxAuthCode } from './auth-codes';
import type { DeviceAnswer, VirtualPayment } from './wxpay-virtual';

export interface SandboxControl {
  /** Pays (or cancels at the cashier) like a person would; paying raises the notification. */
  pay(channel: SandboxChannel, outTradeNo: string, outcome?: PayControlOutcome, reason?: string):
    { ok: true; order: SandboxOrder } | { ok: false; code: 'ORDER_NOT_EXIST' | 'ORDERPAID' | 'ORDER_CLOSED' };
  /** Replaces the channel's faults (an empty object clears them); applies to notifications raised afterwards. */
  setFaults(channel: NotifyChannel, faults: FaultSettings): void;
  /** Forgets every order, refund, notification and fault; cancels pending deliveries. */
  reset(): Promise<void>;
  order(channel: SandboxChannel, outTradeNo: string): SandboxOrder | undefined;
  /**
   * A refund made by a person in the merchant platform, not through the API: real in the books (queries and
   * the statement show it) but the merchant's server is never told. Returns the refund number it got.
   */
  platformRefund(channel: SandboxChannel, outTradeNo: string, amount: number): { ok: true; out_refund_no: string } | { ok: false; code: string };
  notifications(filter?: { channel?: NotifyChannel; out_trade_no?: string }): SandboxNotification[];
  /** Resolves true once nothing is pending or in flight (false on timeout). */
  settled(timeoutMs?: number): Promise<boolean>;
  /**
   * The code a device's login would return for `user` in an app (default: the pay type's own app, else the main
   * one); ParamError for an app the sandbox does not know.
   */
  loginCode(provider: LoginProvider, opts?: { appid?: string; pay_type?: string; user?: string }): { code: string; appid: string };
  /** the sandbox App Store: purchases on the device, renewals, refunds Apple grants, expiries */
  apple: AppleStore;
  /** Every payout request the channel received, oldest first; `paid` marks the money that reached a payee. */
  transfers(channel?: 'wxpay' | 'alipay'): SandboxTransfer[];
  /** The payee confirms a WeChat transfer in WeChat (`success`), or the bill fails (`fail`); raises the notification. */
  confirmTransfer(outBillNo: string, outcome?: 'success' | 'fail'): { ok: true; transfer: SandboxTransfer } | { ok: false; code: 'NOT_FOUND' | 'NOT_WAITING' };
  /** The payment code a payer's phone shows; `password`: the payer must confirm (a few seconds, or `never`). */
  authCode(provider: 'alipay' | 'wxpay', opts?: { password?: boolean; confirm?: 'pay' | 'never' }): SandboxAuthCode;
  /** What the device's uni.requestVirtualPayment does with the payment createPayment answered (the order then exists, unpaid). */
  requestVirtualPayment(input: { openid?: unknown; mode?: unknown; signData?: unknown; paySig?: unknown; signature?: unknown }): DeviceAnswer;
  /** WeChat ends the mini program's access tokens now (they must be fetched again). */
  expireAccessTokens(): void;
  /** The payer's mini-program session lapses at WeChat: APIs signed with its key answer 268490009. */
  expireVirtualSession(openid: string): boolean;
}

/** success pays; cancel backs out at the cashier (the order stays payable); fail is the bank refusing (WeChat) */
export type PayControlOutcome = 'success' | 'cancel' | 'fail';
/** what a refused payment says by default (WeChat's trade_state_desc is written for the payer) */
export const DEFAULT_FAIL_REASON = '银行卡余额不足';

export function createControl(deps: {
  ledger: Ledger; state: SandboxState; cancelAll: () => void; settled: (timeoutMs?: number) => Promise<boolean>; logins: LoginCodes; apple: AppleStore; payouts: Payouts; codes: AuthCodes; virtual: VirtualPayment;
}): SandboxControl {
  const { ledger, state } = deps;
  return {
    pay(channel, outTradeNo, outcome = 'success', reason = DEFAULT_FAIL_REASON) {
      const out = outcome === 'cancel' ? ledger.cancel(channel, outTradeNo)
        : outcome === 'fail' ? ledger.fail(channel, outTradeNo, reason) : ledger.pay(channel, outTradeNo);
      if (out.ok) return out;
      return { ok: false, code: out.reason === 'not_found' ? 'ORDER_NOT_EXIST' : out.reason === 'paid' ? 'ORDERPAID' : 'ORDER_CLOSED' };
    },
    setFaults(channel, faults) {
      state.data.faults[channel] = { ...faults };
      void state.save();
    },
    async reset() {
      deps.cancelAll();
      state.reset();
      await state.save();
    },
    order: (channel, outTradeNo) => ledger.get(channel, outTradeNo),
    platformRefund(channel, outTradeNo, amount) {
      const out_refund_no = `PF${Date.now()}${Math.floor(Math.random() * 1e6)}`;
      const out = ledger.refund({ channel, out_trade_no: outTradeNo, out_refund_no, amount, initial: 'SUCCESS', silent: true, reason: 'merchant platform' });
      return out.ok ? { ok: true, out_refund_no } : { ok: false, code: out.reason };
    },
    notifications(filter = {}) {
      return Object.values(state.data.notifications)
        .filter((n) => !filter.channel || n.channel === filter.channel)
        .filter((n) => !filter.out_trade_no || state.data.orders[n.order_key]?.out_trade_no === filter.out_trade_no)
        .sort((a, b) => a.created_at - b.created_at);
    },
    settled: deps.settled,
    requestVirtualPayment: (input) => deps.virtual.request(input),
    expireAccessTokens: () => deps.virtual.expireTokens(),
    expireVirtualSession: (openid) => deps.logins.endSession(deps.virtual.miniProgramAppId, openid),
    loginCode(provider, opts = {}) {
      const app = opts.appid ? deps.logins.app(provider, opts.appid) : deps.logins.defaultApp(provider, opts.pay_type);
      if (!app) throw new ParamError(`appid ${String(opts.appid).slice(0, 40)} is not a ${provider} app of this sandbox`);
      return { code: deps.logins.issue(provider, app.appId, opts.user ?? 'sandbox-payer'), appid: app.appId };
    },
    apple: deps.apple,
    transfers: (channel) => deps.payouts.list(channel),
    authCode: (provider, opts) => deps.codes.issue(provider, opts),
    confirmTransfer(outBillNo, outcome = 'success') {
      const out = deps.payouts.confirm('wxpay', outBillNo, outcome);
      return out.ok ? out : { ok: false, code: out.reason === 'not_found' ? 'NOT_FOUND' : 'NOT_WAITING' };
    },
  };
}

function parseJsonBody(raw: string): any {
  if (!raw.trim()) return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new ParamError('body is not JSON');
  }
}

export async function handleControl(control: SandboxControl, r: GatewayRequest): Promise<void> {
  try {
    const action = r.subPath.replace(/^\//, '');
    if (r.method === 'GET' && action === 'notifications') {
      const channel = r.query.get('channel');
      return sendJson(r.res, 200, {
        notifications: control.notifications({
          channel: isNotifyChannel(channel) ? channel : undefined, out_trade_no: r.query.get('out_trade_no') ?? undefined,
        }),
      });
    }
    if (r.method !== 'POST') return sendJson(r.res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'use POST' });
    const body = parseJsonBody(r.rawBody);
    // the App Store: the device buys (the body names the product, as the orderInfo does), Apple renews, refunds, expires
    if (action === 'pay' && body.channel === 'appleiap') return sendJson(r.res, 200, control.apple.purchase(body));
    if (action === 'appleiap/renew') return sendJson(r.res, 200, control.apple.renew(String(body.original_transaction_id ?? '')));
    if (action === 'appleiap/refund') return sendJson(r.res, 200, control.apple.refund(String(body.transaction_id ?? '')));
    if (action === 'appleiap/expire') return sendJson(r.res, 200, control.apple.expire(String(body.original_transaction_id ?? '')));
    if (action === 'pay') {
      if (!isSandboxChannel(body.channel)) throw new ParamError('channel must be wxpay, wxpay-v2, alipay or wxpay-virtual');
      if (typeof body.out_trade_no !== 'string' || !body.out_trade_no) throw new ParamError('out_trade_no is required');
      const outcome = body.outcome ?? 'success';
      if (outcome !== 'success' && outcome !== 'cancel' && outcome !== 'fail') throw new ParamError('outcome must be success, cancel or fail');
      if (outcome !== 'success' && body.channel === 'wxpay-virtual') throw new ParamError('wxpay-virtual: a cancelled payment never reaches WeChat; only success is paid here');
      if (outcome === 'fail' && body.channel === 'alipay') throw new ParamError('Alipay has no failed trade state: a refused card leaves the trade waiting');
      if (body.reason !== undefined && (typeof body.reason !== 'string' || !body.reason.trim() || body.reason.length > 64)) throw new ParamError('reason: 1-64 characters');
      const out = control.pay(body.channel, body.out_trade_no, outcome, body.reason);
      if (!out.ok) return sendJson(r.res, out.code === 'ORDER_NOT_EXIST' ? 404 : 409, { code: out.code, message: out.code });
      return sendJson(r.res, 200, { ok: true, order: out.order });
    }
    if (action === 'faults') {
      const { channel, faults } = parseFaultRequest(body);
      control.setFaults(channel, faults);
      return sendJson(r.res, 200, { ok: true, channel, faults });
    }
    if (action === 'login-code') {
      if (body.provider !== 'wxpay' && body.provider !== 'alipay') throw new ParamError('provider must be wxpay or alipay');
      for (const f of ['appid', 'pay_type', 'user'] as const) {
        if (body[f] !== undefined && (typeof body[f] !== 'string' || !/^[\w.@-]{1,64}$/.test(body[f]))) throw new ParamError(`${f}: 1-64 of letters, digits, _ . @ -`);
      }
      return sendJson(r.res, 200, control.loginCode(body.provider, { appid: body.appid, pay_type: body.pay_type, user: body.user }));
    }
    if (action === 'platform-refund') {
      if (!isSandboxChannel(body.channel)) throw new ParamError('channel must be wxpay, wxpay-v2 or alipay');
      if (typeof body.out_trade_no !== 'string' || !body.out_trade_no) throw new ParamError('out_trade_no is required');
      if (!Number.isSafeInteger(body.amount) || body.amount <= 0) throw new ParamError('amount: a positive integer of fen');
      const out = control.platformRefund(body.channel, body.out_trade_no, body.amount);
      return out.ok ? sendJson(r.res, 200, out) : sendJson(r.res, 409, { code: out.code, message: out.code });
    }
    if (action === 'transfers') {
      if (body.channel !== 'wxpay' && body.channel !== 'alipay') throw new ParamError('channel must be wxpay or alipay');
      return sendJson(r.res, 200, { transfers: control.transfers(body.channel) });
    }
    if (action === 'auth-code') {
      if (body.provider !== 'alipay' && body.provider !== 'wxpay') throw new ParamError('provider must be alipay or wxpay');
      if (body.password !== undefined && typeof body.password !== 'boolean') throw new ParamError('password must be true or false');
      if (body.confirm !== undefined && body.confirm !== 'pay' && body.confirm !== 'never') throw new ParamError('confirm must be pay or never');
      const c = control.authCode(body.provider, { password: body.password, confirm: body.confirm });
      return sendJson(r.res, 200, { auth_code: c.code, password: c.password, confirm: c.confirm });
    }
    if (action === 'transfer-confirm') {
      if (typeof body.out_bill_no !== 'string' || !body.out_bill_no) throw new ParamError('out_bill_no is required');
      const outcome = body.outcome ?? 'success';
      if (outcome !== 'success' && outcome !== 'fail') throw new ParamError('outcome must be success or fail');
      const out = control.confirmTransfer(body.out_bill_no, outcome);
      if (!out.ok) return sendJson(r.res, out.code === 'NOT_FOUND' ? 404 : 409, { code: out.code, message: out.code });
      return sendJson(r.res, 200, { ok: true, transfer: out.transfer });
    }
    if (action === 'virtual-payment') {
      const out = control.requestVirtualPayment(body);
      if (!out.ok) return sendJson(r.res, 400, { errCode: out.errCode, errMsg: out.errMsg });
      return sendJson(r.res, 200, { errMsg: 'requestVirtualPayment:ok', out_trade_no: out.order.out_trade_no });
    }
    if (action === 'virtual-session-expire') {
      if (typeof body.openid !== 'string' || !body.openid) throw new ParamError('openid is required');
      const ended = control.expireVirtualSession(body.openid);
      return sendJson(r.res, ended ? 200 : 404, { ok: ended });
    }
    if (action === 'reset') {
      await control.reset();
      return sendJson(r.res, 200, { ok: true });
    }
    return sendJson(r.res, 404, { code: 'NOT_FOUND', message: `unknown control action ${action}` });
  } catch (err) {
    if (err instanceof ParamError) return sendJson(r.res, 400, { code: 'PARAM_ERROR', message: err.detail });
    throw err;
  }
}

/**
 * Test control: what a person does at the cashier, done by a test (`pay`), the code a device's login returns
 * (`login-code`), fault injection (`faults`),
 * `reset`, and read-only views of orders and notification deliveries for assertions and debugging.
 */
import { ParamError } from '../uni_modules/vk-pay/common/errors';
import type { GatewayRequest } from './context';
import { parseFaultRequest, type FaultSettings } from './faults';
import { sendJson } from './http-io';
import type { Ledger } from './ledger';
import type { LoginCodes, LoginProvider } from './login-codes';
import type { DeviceAnswer, VirtualPayment } from './wxpay-virtual';
import { isSandboxChannel, type SandboxChannel, type SandboxNotification, type SandboxOrder, type SandboxState } from './state';

export interface SandboxControl {
  /** Pays (or cancels at the cashier) like a person would; paying raises the notification. */
  pay(channel: SandboxChannel, outTradeNo: string, outcome?: PayControlOutcome, reason?: string):
    { ok: true; order: SandboxOrder } | { ok: false; code: 'ORDER_NOT_EXIST' | 'ORDERPAID' | 'ORDER_CLOSED' };
  /** Replaces the channel's faults (an empty object clears them); applies to notifications raised afterwards. */
  setFaults(channel: SandboxChannel, faults: FaultSettings): void;
  /** Forgets every order, refund, notification and fault; cancels pending deliveries. */
  reset(): Promise<void>;
  order(channel: SandboxChannel, outTradeNo: string): SandboxOrder | undefined;
  notifications(filter?: { channel?: SandboxChannel; out_trade_no?: string }): SandboxNotification[];
  /** Resolves true once nothing is pending or in flight (false on timeout). */
  settled(timeoutMs?: number): Promise<boolean>;
  /**
   * The code a device's login would return for `user` in an app (default: the pay type's own app, else the main
   * one); ParamError for an app the sandbox does not know.
   */
  loginCode(provider: LoginProvider, opts?: { appid?: string; pay_type?: string; user?: string }): { code: string; appid: string };
  /** What the device's uni.requestVirtualPayment does with the payment createPayment answered (the order then exists, unpaid). */
  requestVirtualPayment(input: { openid?: unknown; mode?: unknown; signData?: unknown; paySig?: unknown; signature?: unknown }): DeviceAnswer;
  /** WeChat ends the mini program's access tokens now (they must be fetched again). */
  expireAccessTokens(): void;
}

/** success pays; cancel backs out at the cashier (the order stays payable); fail is the bank refusing (WeChat) */
export type PayControlOutcome = 'success' | 'cancel' | 'fail';
/** what a refused payment says by default (WeChat's trade_state_desc is written for the payer) */
export const DEFAULT_FAIL_REASON = '银行卡余额不足';

export function createControl(deps: {
  ledger: Ledger; state: SandboxState; cancelAll: () => void; settled: (timeoutMs?: number) => Promise<boolean>; logins: LoginCodes; virtual: VirtualPayment;
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
    notifications(filter = {}) {
      return Object.values(state.data.notifications)
        .filter((n) => !filter.channel || n.channel === filter.channel)
        .filter((n) => !filter.out_trade_no || state.data.orders[n.order_key]?.out_trade_no === filter.out_trade_no)
        .sort((a, b) => a.created_at - b.created_at);
    },
    settled: deps.settled,
    requestVirtualPayment: (input) => deps.virtual.request(input),
    expireAccessTokens: () => deps.virtual.expireTokens(),
    loginCode(provider, opts = {}) {
      const app = opts.appid ? deps.logins.app(provider, opts.appid) : deps.logins.defaultApp(provider, opts.pay_type);
      if (!app) throw new ParamError(`appid ${String(opts.appid).slice(0, 40)} is not a ${provider} app of this sandbox`);
      return { code: deps.logins.issue(provider, app.appId, opts.user ?? 'sandbox-payer'), appid: app.appId };
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
          channel: isSandboxChannel(channel) ? channel : undefined, out_trade_no: r.query.get('out_trade_no') ?? undefined,
        }),
      });
    }
    if (r.method !== 'POST') return sendJson(r.res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'use POST' });
    const body = parseJsonBody(r.rawBody);
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
    if (action === 'virtual-payment') {
      const out = control.requestVirtualPayment(body);
      if (!out.ok) return sendJson(r.res, 400, { errCode: out.errCode, errMsg: out.errMsg });
      return sendJson(r.res, 200, { errMsg: 'requestVirtualPayment:ok', out_trade_no: out.order.out_trade_no });
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

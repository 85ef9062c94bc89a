/**
 * createSandbox: the local WeChat Pay (v3, v2) and Alipay gateway, and WeChat's login-code exchanges
 * (/sandbox/wxapi/, mirroring api.weixin.qq.com), mountable in any node:http server.
 * `handle` serves every /sandbox/** path and returns false for anything else.
 *
 * State (orders, refunds, notifications still being delivered, faults) lives in
 * `${home}/sandbox/state.json` and survives restarts; pending notifications and processing refunds resume
 * where they stopped. `persist: false` keeps it in memory only (lost on restart).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { ParamError } from '../uni_modules/vk-pay/common/errors';
import { handleAlipay } from './alipay/gateway';
import { ensureAppleCredentials, type AppleSandboxCredentials } from './appleiap/credentials';
import { handleApple } from './appleiap/gateway';
import { buildAppleNotification, kindOf } from './appleiap/notify';
import { AppleStore } from './appleiap/store';
import { buildAlipayNotification } from './alipay/objects';
import { handleCashier, handleIndex } from './cashier';
import type { GatewayContext, GatewayRequest } from './context';
import { createControl, handleControl, type SandboxControl } from './control';
import { ensureSandboxCredentials, type SandboxCredentials } from './credentials';
import { readRawBody, sendJson } from './http-io';
import { Ledger } from './ledger';
import { Notifier, type OutgoingNotification } from './notifier';
import { handleAlipayBillDownload } from './statements/routes';
import { Payouts, transferKey } from './payouts';
import { AuthCodes } from './auth-codes';
import { buildV3TransferNotification } from './wxpay/v3-transfers';
import { refundKey, SandboxState, type SandboxNotification, type SandboxOrder, type SandboxRefund } from './state';
import { handleV2, isV2Path } from './wxpay/v2-gateway';
import { buildV2Notification } from './wxpay/v2-notify';
import { handleV3 } from './wxpay/v3-gateway';
import { LoginCodes } from './login-codes';
import { handleWxapi } from './wxapi';
import { handleWxopen } from './wxopen';
import { ensureSandboxTls, type SandboxTls } from './tls';
import { buildV3Notification } from './wxpay/v3-objects';
import { credsFor, merchantById } from './wxpay/merchants';
import { VirtualPayment } from './wxpay-virtual';
import { CERT_CONTROL_ACTIONS, CertModes, handleCertControl, parseKeyModes, type KeyModes } from './cert-modes';

export type { SandboxCredentials } from './credentials';
export type { SandboxControl } from './control';
export type { FaultSettings } from './faults';
export { RETRY_SCHEDULES } from './notifier';
export type { SandboxChannel } from './state';
export type { AppleSandboxCredentials } from './appleiap/credentials';
export { tlsServerOptions, type SandboxTls } from './tls';
export { certModeSections, type CertModes, type KeyModes } from './cert-modes';

/** WeChat accepts a refund first and settles it a moment later (scaled by timeFactor). */
const REFUND_SETTLE_MS = 3000;

export interface SandboxOptions {
  /** VKPAY_HOME: credentials and state live under `${home}/sandbox/` */
  home: string;
  /** origin the sandbox is reached at (cashier links, h5_url, code_url, qr_code), e.g. http://127.0.0.1:8787 */
  publicBaseUrl: string;
  /** multiplies the notification retry schedule and refund settling: 0.001 in tests */
  timeFactor?: number;
  /** not used: a gateway keeps its own books (state.json), apart from the merchant's database */
  db?: unknown;
  /** false: keep state in memory only */
  persist?: boolean;
  /** injectable clock (ms epoch) */
  now?: () => number;
  /** per-delivery answer deadline in ms (default 5000, WeChat's) */
  deliveryTimeoutMs?: number;
  /**
   * the mini program's message push URL (virtual payment deliveries), as set in its console; default
   * `<publicBaseUrl>/http/vk-pay-notify/wxpay-virtual`, the local host's notify route
   */
  virtualPushUrl?: string;
  /**
   * v2 /secapi/ calls (refunds) only over mutual TLS with the merchant's client certificate, as WeChat: serve
   * `tls()`'s options on an https server beside the plain one. Default false: plain-HTTP refunds still pass.
   */
  requireClientCert?: boolean;
  /**
   * the merchants' key modes (cert-modes.ts): WeChat `public-key` (default) or `platform-cert`
   * (/v3/certificates, answers signed by a platform certificate); Alipay `public-key` (default) or `cert`.
   * Default: the VKPAY_KEY_MODES environment variable (`wxpay=platform-cert,alipay=cert`), else public-key.
   */
  keyModes?: KeyModes;
}

export interface Sandbox {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  close(): Promise<void>;
  control: SandboxControl;
  credentials: SandboxCredentials;
  /** the sandbox App Store's keys: its root goes in the config's providers.appleiap.rootCertificates */
  appleCredentials: AppleSandboxCredentials;
  /** the TLS material of the v2 /secapi/ endpoint (made on first use; needs the openssl CLI) */
  tls(): Promise<SandboxTls>;
  /** key modes and the certificates behind them (platform certificates and their rotation, Alipay's certificates) */
  certModes: CertModes;
}

export async function createSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const creds = await ensureSandboxCredentials(opts.home);
  const appleCreds = await ensureAppleCredentials(opts.home);
  const certModes = await CertModes.open(opts.home, creds, opts.keyModes ?? parseKeyModes(process.env.VKPAY_KEY_MODES), opts.now ?? Date.now);
  const state = await SandboxState.open(opts.persist === false ? undefined : path.join(opts.home, 'sandbox', 'state.json'));
  const now = opts.now ?? Date.now;
  const timeFactor = opts.timeFactor ?? 1;
  const publicBaseUrl = opts.publicBaseUrl.replace(/\/+$/, '');
  const settleTimers = new Map<string, NodeJS.Timeout>();
  let closed = false;

  const raise = (kind: SandboxNotification['kind'], order: SandboxOrder, refund?: SandboxRefund) => {
    const url = (refund?.notify_url ?? order.notify_url);
    if (!url) return;
    notifier.raise({
      channel: order.channel, kind, url, order_key: `${order.channel}:${order.out_trade_no}`,
      refund_key: refund && refundKey(refund.channel, refund.out_trade_no, refund.out_refund_no),
      faults: state.data.faults[order.channel] ?? {},
    });
  };

  const scheduleSettle = (refund: SandboxRefund) => {
    const key = refundKey(refund.channel, refund.out_trade_no, refund.out_refund_no);
    if (closed || settleTimers.has(key)) return;
    const wait = Math.max(0, refund.created_at + REFUND_SETTLE_MS * timeFactor - now());
    const timer = setTimeout(() => {
      settleTimers.delete(key);
      const order = ledger.get(refund.channel, refund.out_trade_no);
      if (order && state.data.refunds[key] === refund && ledger.settleRefund(refund)) raise('refund', order, refund);
    }, wait);
    timer.unref();
    settleTimers.set(key, timer);
  };

  const ledger: Ledger = new Ledger(state, {
    // a coin-mode virtual payment also credits the coins it bought to the payer's account
    paid: (order) => { virtual.coins.credit(order); raise('payment', order); },
    refundCreated: (refund, order) => (refund.status === 'SUCCESS' ? raise('refund', order, refund) : scheduleSettle(refund)),
    // Alipay notifies TRADE_CLOSED for APP and WAP trades (not for face-to-face or PC web ones); WeChat never does.
    closed: (order) => { if (order.channel === 'alipay' && (order.pay_type === 'app' || order.pay_type === 'wap')) raise('close', order); },
  }, now);

  // WeChat notifies a bill once it is final (MCHTRANSFER.BILL.FINISHED); Alipay's transfers answer synchronously.
  const payouts = new Payouts(state, (t) => {
    if (t.channel !== 'wxpay' || !t.notify_url) return;
    notifier.raise({ channel: 'wxpay', kind: 'transfer', url: t.notify_url, order_key: transferKey(t.channel, t.out_bill_no), faults: state.data.faults.wxpay ?? {} });
  }, now);

  const build = (n: SandboxNotification): OutgoingNotification | undefined => {
    if (n.channel === 'appleiap') {
      const rec = apple.books.notifications[n.order_key.slice('appleiap:'.length)];
      return rec && buildAppleNotification(appleCreds, apple.books, rec, n.faults, now());
    }
    if (n.kind === 'transfer') {
      const t = state.data.transfers[n.order_key];
      return t ? buildV3TransferNotification(credsFor(creds, merchantById(creds, t.merchant_id)), n.event_id, n.created_at, t, n.faults.tamper, now()) : undefined;
    }
    const order = state.data.orders[n.order_key];
    const refund = n.refund_key ? state.data.refunds[n.refund_key] : undefined;
    if (!order || (n.refund_key && !refund)) return undefined;
    const tamper = n.faults.tamper;
    // signed and encrypted by the merchant that made the order (a service provider for its sub-merchants')
    if (n.channel === 'wxpay') return buildV3Notification(credsFor(creds, merchantById(creds, order.merchant_id)), n.event_id, n.created_at, order, refund, tamper, now());
    if (n.channel === 'wxpay-v2') return buildV2Notification(creds, order, refund, tamper);
    if (n.channel === 'wxpay-virtual') return virtual.buildPush(n, order, refund, tamper, now());
    return buildAlipayNotification(creds, n.event_id, order, refund, ledger.refundsOf('alipay', order.out_trade_no), tamper, now(), n.kind === 'close');
  };

  const notifier = new Notifier({ state, timeFactor, now, build, deliveryTimeoutMs: opts.deliveryTimeoutMs });
  // Apple sends every notification to the one URL set in App Store Connect: here, the local host's notify route
  const apple = new AppleStore(state, appleCreds, now, (rec) => {
    notifier.raise({ channel: 'appleiap', kind: kindOf(rec.notificationType), order_key: `appleiap:${rec.notificationUUID}`, url: `${publicBaseUrl}/http/vk-pay-notify/appleiap`, faults: state.data.faults.appleiap ?? {} });
  });
  notifier.resume();
  for (const refund of Object.values(state.data.refunds)) if (refund.status === 'PROCESSING') scheduleSettle(refund);

  const codes = new AuthCodes(state, ledger, timeFactor, now);
  const cancelAll = () => {
    codes.cancelAll();
    notifier.cancelAll();
    for (const t of settleTimers.values()) clearTimeout(t);
    settleTimers.clear();
  };
  // Settled = nothing more to come: no refund still waiting to settle (its notification is raised then), and no
  // notification pending or in flight.
  const settled = async (timeoutMs = 10_000): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (settleTimers.size > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 5).unref());
    }
    return notifier.settled(Math.max(0, deadline - Date.now()));
  };
  const logins = new LoginCodes(creds, now);
  const ctx: GatewayContext = { creds, ledger, state, publicBaseUrl, now, logins, payouts, codes, requireClientCert: opts.requireClientCert ?? false };
  const virtual = new VirtualPayment(ctx, opts.virtualPushUrl ?? `${publicBaseUrl}/http/vk-pay-notify/wxpay-virtual`);
  const control = createControl({ ledger, state, cancelAll, settled, logins, apple, payouts, codes, virtual });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const rawUrl = req.url ?? '/';
    const url = new URL(rawUrl, 'http://sandbox.local');
    const pathname = url.pathname;
    if (pathname !== '/sandbox' && !pathname.startsWith('/sandbox/')) return false;
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const rawBody = method === 'GET' || method === 'HEAD' ? '' : await readRawBody(req);
      const r = (prefix: string): GatewayRequest => ({ req, res, method, rawUrl, subPath: pathname.slice(prefix.length), query: url.searchParams, rawBody });
      if (pathname.startsWith('/sandbox/wxpay/v3/')) await handleV3(ctx, r('/sandbox/wxpay'));
      else if (pathname.startsWith('/sandbox/wxpay/') && isV2Path(pathname.slice('/sandbox/wxpay'.length))) await handleV2(ctx, r('/sandbox/wxpay'));
      else if (pathname.startsWith('/sandbox/wxapi/xpay/') || pathname === '/sandbox/wxapi/cgi-bin/stable_token') virtual.handle(r('/sandbox/wxapi'));
      else if (pathname.startsWith('/sandbox/wxapi/')) handleWxapi(ctx, r('/sandbox/wxapi'));
      else if (pathname.startsWith('/sandbox/wxopen/')) handleWxopen(ctx, r('/sandbox/wxopen'));
      else if (pathname === '/sandbox/alipay/gateway.do') await handleAlipay(ctx, r('/sandbox/alipay'));
      else if (pathname === '/sandbox/alipay/bill/download') handleAlipayBillDownload(ctx, r('/sandbox/alipay'));
      else if (pathname.startsWith('/sandbox/appleiap/')) await handleApple({ creds: appleCreds, books: () => apple.books, now }, r('/sandbox/appleiap'));
      else if (pathname.startsWith('/sandbox/cashier/')) await handleCashier(ctx, r('/sandbox/cashier'));
      else if (pathname.startsWith('/sandbox/control/') && CERT_CONTROL_ACTIONS.has(pathname.slice('/sandbox/control/'.length))) await handleCertControl(certModes, r('/sandbox/control'));
      else if (pathname.startsWith('/sandbox/control/')) await handleControl(control, r('/sandbox/control'));
      else if ((pathname === '/sandbox' || pathname === '/sandbox/') && method === 'GET') handleIndex(ctx, r('/sandbox'));
      else sendJson(res, 404, { code: 'NOT_FOUND', message: `no sandbox route ${pathname}` });
    } catch (err) {
      if (!res.headersSent) {
        if (err instanceof ParamError) sendJson(res, 400, { code: 'PARAM_ERROR', message: err.detail });
        else sendJson(res, 500, { code: 'SYSTEM_ERROR', message: '系统错误' });
      } else {
        res.destroy();
      }
      if (!(err instanceof ParamError)) console.error('[sandbox]', err);
    }
    return true;
  }

  return {
    handle,
    control,
    credentials: creds,
    appleCredentials: appleCreds,
    certModes,
    tls: () => ensureSandboxTls(opts.home, creds.wxpay.mchId),
    async close() {
      closed = true;
      cancelAll();
      await notifier.close();
      await state.save();
    },
  };
}

/**
 * The WeChat client around a mini program in the simulator, at its platform boundary only: what the phone and
 * WeChat do when the app calls `wx.request`, `wx.login`, `wx.requestPayment` and device storage. Everything else
 * of `wx` is miniprogram-simulate's own (system info, navigation, UI), so the compiled app and uni-app's runtime
 * run unchanged above it.
 *
 * - `wx.request` sends the request over the network as WeChat does (default method GET; an object body goes as
 *   JSON for POST, as a query string for GET; with `dataType: 'json'`, the default, a JSON reply is parsed). Only
 *   loopback is reachable: anything else is refused and recorded in `offMachine`.
 * - `wx.login` returns the code the sandbox's WeChat gives this WeChat user for this mini program
 *   (`POST /sandbox/control/login-code`).
 * - `wx.requestPayment` is WeChat's payment sheet: it checks the paySign as WeChat does (v3, signType RSA:
 *   SHA256withRSA over `appId\ntimeStamp\nnonceStr\npackage\n`, verified with the merchant's public key; the appId
 *   is the mini program's own), then the person pays (the sandbox pays the prepay_id, for this app only) or backs
 *   out (`requestPayment:fail cancel`, nothing paid).
 */
import { createVerify } from 'node:crypto';

export type SheetChoice = 'pay' | 'cancel';

export interface PaymentSheet {
  /** what the app handed to wx.requestPayment */
  args: Record<string, unknown>;
  /** the paySign checked out against the merchant's public key */
  signatureValid: boolean;
  outcome: 'paid' | 'cancel' | 'refused';
  errMsg: string;
}

export interface DeviceOptions {
  /** the local host (it serves the sandbox's WeChat too) */
  hostUrl: string;
  /** the mini program's appId, as WeChat knows which app is running */
  appId: string;
  /** the merchant public key the sandbox holds (PEM) */
  merchantPublicKeyPem: string;
  /** the WeChat user logged in on this phone */
  user: string;
}

export interface WxDevice {
  /** the overrides to install as `wx` before miniprogram-simulate loads (it keeps them over its mocks) */
  wx: Record<string, unknown>;
  storage: Map<string, unknown>;
  /** what the person does on the next payment sheet */
  nextSheet: SheetChoice;
  sheets: PaymentSheet[];
  /** `METHOD url` of every request this device sent */
  requests: string[];
  /** requests refused because they would leave the machine */
  offMachine: string[];
  /** pages the app navigated to (redirectTo/navigateTo urls) */
  navigations: string[];
}

type Callbacks = { success?: (r: unknown) => void; fail?: (r: unknown) => void; complete?: (r: unknown) => void };
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function settle(o: Callbacks, ok: boolean, res: unknown): void {
  if (ok) o.success?.(res);
  else o.fail?.(res);
  o.complete?.(res);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** WeChat v3 mini-program paySign: SHA256withRSA over the four lines, each ending in \n. */
export function verifyPaySign(appId: string, args: Record<string, unknown>, publicKeyPem: string): boolean {
  const { timeStamp, nonceStr, paySign } = args;
  const pkg = args.package;
  if (args.signType !== 'RSA' || typeof timeStamp !== 'string' || typeof nonceStr !== 'string' || typeof pkg !== 'string' || typeof paySign !== 'string') return false;
  try {
    return createVerify('RSA-SHA256').update(`${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`).verify(publicKeyPem, paySign, 'base64');
  } catch {
    return false;
  }
}

export function createWxDevice(opts: DeviceOptions): WxDevice {
  const device: WxDevice = { wx: {}, storage: new Map(), nextSheet: 'pay', sheets: [], requests: [], offMachine: [], navigations: [] };
  const control = async (action: string, body: unknown) => {
    const res = await fetch(`${opts.hostUrl}/sandbox/control/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };

  function request(o: Callbacks & { url: string; method?: string; data?: unknown; header?: Record<string, string>; dataType?: string; timeout?: number }) {
    const method = (o.method ?? 'GET').toUpperCase();
    const controller = new AbortController();
    let url: URL;
    try {
      url = new URL(o.url);
    } catch {
      setTimeout(() => settle(o, false, { errMsg: `request:fail invalid url "${o.url}"` }));
      return { abort() {} };
    }
    device.requests.push(`${method} ${o.url}`);
    if (!LOOPBACK.has(url.hostname)) {
      device.offMachine.push(`${method} ${o.url}`);
      setTimeout(() => settle(o, false, { errMsg: `request:fail url not in domain list: ${url.origin}` }));
      return { abort() {} };
    }
    const headers: Record<string, string> = { ...(o.header ?? {}) };
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
    let body: string | undefined;
    if (method === 'GET' || method === 'HEAD') {
      if (o.data && typeof o.data === 'object') for (const [k, v] of Object.entries(o.data)) url.searchParams.set(k, String(v));
    } else if (o.data !== undefined) {
      const json = /json/i.test(headers['content-type'] ?? headers['Content-Type'] ?? '');
      body = typeof o.data === 'string' ? o.data : json ? JSON.stringify(o.data) : new URLSearchParams(o.data as Record<string, string>).toString();
    }
    const timer = setTimeout(() => controller.abort(), o.timeout ?? 60_000);
    fetch(url, { method, headers, body, signal: controller.signal }).then(async (res) => {
      const text = await res.text();
      let data: unknown = text;
      if ((o.dataType ?? 'json') === 'json') {
        try { data = JSON.parse(text); } catch { /* WeChat hands back the text when it is not JSON */ }
      }
      settle(o, true, { data, statusCode: res.status, header: Object.fromEntries(res.headers.entries()), cookies: [], errMsg: 'request:ok' });
    }, (err: Error) => {
      settle(o, false, { errMsg: controller.signal.aborted ? 'request:fail timeout' : `request:fail ${err.message}` });
    }).finally(() => clearTimeout(timer));
    return { abort: () => controller.abort(), onHeadersReceived() {}, offHeadersReceived() {} };
  }

  function login(o: Callbacks) {
    control('login-code', { provider: 'wxpay', appid: opts.appId, user: opts.user }).then((r) => {
      if (r.status === 200 && typeof r.json.code === 'string') settle(o, true, { code: r.json.code, errMsg: 'login:ok' });
      else settle(o, false, { errMsg: `login:fail ${r.json.message ?? r.status}` });
    }, (err: Error) => settle(o, false, { errMsg: `login:fail ${err.message}` }));
  }

  function requestPayment(o: Callbacks & Record<string, unknown>) {
    const args = Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v !== 'function'));
    const signatureValid = verifyPaySign(opts.appId, args, opts.merchantPublicKeyPem);
    const sheet: PaymentSheet = { args, signatureValid, outcome: 'refused', errMsg: '' };
    device.sheets.push(sheet);
    const done = (outcome: PaymentSheet['outcome'], errMsg: string) => {
      sheet.outcome = outcome;
      sheet.errMsg = errMsg;
      settle(o, outcome === 'paid', { errMsg });
    };
    if (!signatureValid) return setTimeout(() => done('refused', 'requestPayment:fail invalid paySign'));
    const prepayId = String(args.package).replace(/^prepay_id=/, '');
    if (device.nextSheet === 'cancel') return setTimeout(() => done('cancel', 'requestPayment:fail cancel'));
    control('pay', { channel: 'wxpay', prepay_id: prepayId, appid: opts.appId }).then((r) => {
      if (r.status === 200 && r.json.ok) done('paid', 'requestPayment:ok');
      else done('refused', `requestPayment:fail ${r.json.message ?? r.status}`);
    }, (err: Error) => done('refused', `requestPayment:fail ${err.message}`));
  }

  const storage = device.storage;
  device.wx = {
    request,
    login,
    requestPayment,
    setStorageSync: (key: string, data: unknown) => { storage.set(key, data); },
    getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ''),
    removeStorageSync: (key: string) => { storage.delete(key); },
    clearStorageSync: () => storage.clear(),
    setStorage: (o: Callbacks & { key: string; data: unknown }) => { storage.set(o.key, o.data); setTimeout(() => settle(o, true, { errMsg: 'setStorage:ok' })); },
    getStorage: (o: Callbacks & { key: string }) => setTimeout(() => (storage.has(o.key)
      ? settle(o, true, { data: storage.get(o.key), errMsg: 'getStorage:ok' })
      : settle(o, false, { errMsg: 'getStorage:fail data not found' }))),
    removeStorage: (o: Callbacks & { key: string }) => { storage.delete(o.key); setTimeout(() => settle(o, true, { errMsg: 'removeStorage:ok' })); },
    getStorageInfoSync: () => ({ keys: [...storage.keys()], currentSize: 0, limitSize: 10240 }),
    redirectTo: (o: Callbacks & { url: string }) => { device.navigations.push(o.url); setTimeout(() => settle(o, true, { errMsg: 'redirectTo:ok' })); },
    navigateTo: (o: Callbacks & { url: string }) => { device.navigations.push(o.url); setTimeout(() => settle(o, true, { errMsg: 'navigateTo:ok' })); },
  };
  return device;
}

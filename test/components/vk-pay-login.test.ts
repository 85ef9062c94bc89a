// @vitest-environment happy-dom
/**
 * <vk-pay> getting the payer known before paying, against the REAL core and sandbox over HTTP: a mini program's
 * login code (the bridge's `loginCode` is wx.login, answered by the sandbox's login-code control), the official
 * account's OAuth round trip in WeChat's browser (the sandbox's authorize page sends the page back with ?code=),
 * then createPayment with the stored openid, the sheet paid at the sandbox, and success once the server says paid.
 * Only the platform is played by the test (happy-dom has no WeChat); `uni` is faked at its boundary (storage,
 * uni.login). Pay types that cannot open where the component runs are disabled with the reason.
 */
import http from 'node:http';
import { setImmediate as realImmediate } from 'node:timers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import VkPay from '../../uni_modules/vk-pay/components/vk-pay/vk-pay.vue';
import { PLATFORM_KEY, uniLoginCode, type PaymentOutcome, type PlatformBridge } from '../../uni_modules/vk-pay/components/vk-pay/platform';
import type { ClientPayment } from '../../uni_modules/vk-pay/components/vk-pay/api-types';
import { resetPaymentStore, usePaymentStore } from '../../uni_modules/vk-pay/components/vk-pay/store';
import { errorEnvelope, okEnvelope } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/entry/envelope';
import type { CloudRequest } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/entry/services';
import { baseConfig, startHarness, tokenFor, type Harness } from '../core/support/harness';
import type { SandboxCredentials } from '../../sandbox/credentials';
import type { HttpClient } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http';

/** Node's own HTTP for what the test does outside the page (happy-dom's fetch applies the browser's CORS rules). */
function nodeRequest(url: string, method = 'GET', body?: string): Promise<{ status: number; location?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let h: Harness;
let api: http.Server;
let apiBase = '';
const methodsCalled: string[] = [];

/** The cloud object's URL-ized route in front of the harness's core, as the local host serves it. */
async function startApi(): Promise<void> {
  api = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'POST' };
        if (req.method === 'OPTIONS') { res.writeHead(204, cors); return res.end(); }
        const method = (req.url ?? '').replace('/http/vk-pay-co/', '');
        methodsCalled.push(method);
        const body = Buffer.concat(chunks).toString() || '{}';
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const cloud: CloudRequest = {
          method, clientInfo: { clientIP: '127.0.0.1', userAgent: 'happy-dom', platform: 'web', source: 'http', requestId: 'c' },
          httpInfo: { path: `/${method}`, httpMethod: 'POST', headers, queryStringParameters: {}, body, isBase64Encoded: false },
        };
        let envelope: unknown;
        try {
          envelope = okEnvelope(await h.core.methods[method](JSON.parse(body), cloud));
        } catch (err) {
          envelope = errorEnvelope(err);
        }
        res.writeHead(200, { 'content-type': 'application/json', ...cors });
        res.end(JSON.stringify(envelope));
      })();
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiBase = `http://127.0.0.1:${(api.address() as { port: number }).port}`;
}

function withApps(base: string, creds: SandboxCredentials) {
  const providers = baseConfig(base, creds).providers as Record<string, Record<string, unknown>>;
  return {
    providers: { ...providers, wxpay: { ...providers.wxpay,
      appIds: { mp: creds.wxpay.apps.mp.appId, jsapi: creds.wxpay.apps.jsapi.appId },
      appSecrets: { mp: creds.wxpay.apps.mp.appSecret, jsapi: creds.wxpay.apps.jsapi.appSecret } } },
  };
}

/** The core's HttpClient over node:http (happy-dom's fetch would apply a browser's CORS rules to the server). */
const nodeHttp: HttpClient = (r) => new Promise((resolve, reject) => {
  const req = http.request(r.url, { method: r.method, headers: r.headers, timeout: r.timeoutMs }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  req.on('error', reject);
  req.end(r.body);
});

beforeAll(async () => {
  h = await startHarness({ config: withApps, deps: { http: nodeHttp } });
  await startApi();
});
afterAll(async () => {
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
  await h.close();
});

/** The platform where the component runs: a mini program or WeChat's browser, paying at the sandbox like a person. */
class SandboxBridge implements PlatformBridge {
  url = 'https://shop.example/#/pages/checkout/checkout';
  redirected: string[] = [];
  sheets: ClientPayment[] = [];
  sheetOutcome: PaymentOutcome = 'ok';
  constructor(private readonly where: string, private readonly weixin = false) {}
  platform() { return this.where; }
  inWeixinBrowser() { return this.weixin; }
  currentUrl() { return this.url; }
  replaceUrl(url: string) { this.url = url; }
  redirect(url: string) { this.redirected.push(url); }
  openWindow() {}
  onVisibilityChange() { return () => {}; }
  async loginCode(provider: 'wxpay' | 'alipay'): Promise<string> {
    const res = await nodeRequest(`${h.base}/sandbox/control/login-code`, 'POST', JSON.stringify({ provider, pay_type: 'mp', user: 'erin' }));
    return (JSON.parse(res.text) as { code: string }).code;
  }
  async requestPayment(_provider: 'wxpay' | 'alipay', payment: ClientPayment): Promise<PaymentOutcome> {
    this.sheets.push(payment);
    if (this.sheetOutcome === 'ok') {
      const no = h.sandbox.control.order('wxpay', lastOrderNo())!;
      h.sandbox.control.pay('wxpay', no.out_trade_no);
    }
    return this.sheetOutcome;
  }
}

const lastOrderNo = () => usePaymentStore().order!.out_trade_no;

const storage = new Map<string, unknown>();
let loginCalls: Array<Record<string, unknown>> = [];
(globalThis as Record<string, unknown>).uni = {
  getStorageSync: (k: string) => storage.get(k) ?? '',
  setStorageSync: (k: string, v: unknown) => void storage.set(k, v),
  removeStorageSync: (k: string) => void storage.delete(k),
  // the platform boundary uniLoginCode talks to
  login: (o: { provider: string; success: (r: { code?: string }) => void; fail: (e: { errMsg: string }) => void }) => {
    loginCalls.push({ provider: o.provider });
    if (o.provider === 'weixin') o.success({ code: 'wx-login-code' });
    else o.fail({ errMsg: 'login:fail not supported' });
  },
};

let wrapper: VueWrapper | undefined;
afterEach(() => { wrapper?.unmount(); wrapper = undefined; });

async function mountPay(bridge: PlatformBridge, props: Record<string, unknown>, keepStorage = false): Promise<{ w: VueWrapper; events: () => Record<string, unknown[][]> }> {
  if (!keepStorage) storage.clear();
  storage.set('uni_id_token', await tokenFor('buyer-1'));
  storage.set('uni_id_token_expired', 4e12);
  resetPaymentStore();
  usePaymentStore().configure({ baseUrl: apiBase });
  const w = mount(VkPay, {
    props: { provider: 'wxpay', type: 'recharge', amount: 100, pollSchedule: [30, 30, 30, 30, 30, 30, 30, 30, 30, 30], ...props },
    global: { provide: { [PLATFORM_KEY as symbol]: bridge } },
  });
  wrapper = w;
  await until(() => methodsCalled.includes('getPayOptions'));
  return { w, events: () => w.emitted() as Record<string, unknown[][]> };
}

// Each step is real HTTP to a host running the core; under a loaded machine a step can take seconds, so the
// wait is generous (it ends as soon as the check holds) and only a step that never happens fails.
async function until(check: () => boolean, ms = 25_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => realImmediate(r));
  }
}

describe('<vk-pay> gets the payer known by itself', { timeout: 90_000 }, () => {
  it('mini program: wx.login code -> getOpenid -> createPayment (no openid from anyone) -> sheet -> paid -> success', async () => {
    methodsCalled.length = 0;
    const bridge = new SandboxBridge('mp-weixin');
    const { w, events } = await mountPay(bridge, { payType: 'mp' });
    expect(w.find('.vk-pay__unavailable').exists()).toBe(false);
    await w.find('button.vk-pay__button').trigger('click');
    await until(() => Boolean(events().success));
    expect(methodsCalled.slice(0, 3)).toEqual(['getPayOptions', 'getOpenid', 'createPayment']);
    const order = h.sandbox.control.order('wxpay', lastOrderNo())!;
    expect(order).toMatchObject({ app_id: h.creds.wxpay.apps.mp.appId, status: 'SUCCESS' });
    expect(order.payer_id).toMatch(/^o[A-Za-z0-9]{27}$/);
    expect(bridge.sheets[0]).toMatchObject({ kind: 'requestPayment', params: { appId: h.creds.wxpay.apps.mp.appId } });
    expect(events().success[0][0]).toMatchObject({ status: 'paid' });
  });

  it('WeChat browser: Pay goes to the official account OAuth page; back with ?code= the payment goes on and succeeds', async () => {
    methodsCalled.length = 0;
    const bridge = new SandboxBridge('web', true);
    const first = await mountPay(bridge, { payType: 'jsapi' });
    await first.w.find('button.vk-pay__button').trigger('click');
    await until(() => bridge.redirected.length === 1);
    const authorize = new URL(bridge.redirected[0]);
    expect(authorize.pathname).toBe('/sandbox/wxopen/connect/oauth2/authorize');
    expect(authorize.searchParams.get('appid')).toBe(h.creds.wxpay.apps.jsapi.appId);
    expect(authorize.searchParams.get('scope')).toBe('snsapi_base');
    expect(authorize.hash).toBe('#wechat_redirect');
    expect(methodsCalled).not.toContain('createPayment');
    // WeChat's page sends the browser back; the page loads again with the code
    const back = await nodeRequest(bridge.redirected[0].replace(/#.*$/, ''));
    expect(back.status).toBe(302);
    bridge.url = back.location!;
    expect(bridge.url).toContain('code=');
    first.w.unmount();
    const second = await mountPay(bridge, { payType: 'jsapi' }, true);
    await until(() => Boolean(second.events().success));
    expect(methodsCalled.filter((m) => m !== 'queryPayment' && m !== 'getPaymentResult')).toEqual(['getPayOptions', 'getPayOptions', 'getOpenid', 'createPayment']);
    // the address no longer carries the spent code, and the hash route is kept
    expect(bridge.url).toBe('https://shop.example/#/pages/checkout/checkout');
    expect(h.sandbox.control.order('wxpay', lastOrderNo())).toMatchObject({ app_id: h.creds.wxpay.apps.jsapi.appId, status: 'SUCCESS' });
    // the next payment in this browser needs no second round trip
    methodsCalled.length = 0;
    await second.w.find('button.vk-pay__button').trigger('click');
    await until(() => (second.events().success ?? []).length === 2);
    expect(bridge.redirected).toHaveLength(1);
    expect(methodsCalled).not.toContain('getOpenid');
  });

  it('a returning code that does not match the round trip this page started is ignored', async () => {
    methodsCalled.length = 0;
    const bridge = new SandboxBridge('web', true);
    bridge.url = 'https://shop.example/?code=someone-elses&state=forged#/pages/checkout/checkout';
    await mountPay(bridge, { payType: 'jsapi' });
    await new Promise((r) => setTimeout(r, 100));
    expect(methodsCalled).toEqual(['getPayOptions']);
  });
});

describe('<vk-pay> offers only what works where it runs', () => {
  it.each([
    ['web', false, 'jsapi', '请在微信中打开本页面，才能使用微信内支付'],
    ['web', false, 'mp', '此支付方式只能在微信小程序中使用'],
    ['mp-weixin', false, 'native', '此支付方式只能在网页中使用'],
  ])('on %s (WeChat browser %s) %s is disabled and says why, before any click', async (where, weixin, payType, words) => {
    const { w } = await mountPay(new SandboxBridge(where, weixin), { payType, lang: 'zh' });
    await until(() => w.find('.vk-pay__unavailable').exists());
    expect(w.find('.vk-pay__unavailable').text()).toBe(words);
    expect(w.find('button.vk-pay__button').attributes('disabled')).toBeDefined();
  });

  it('the same pay type is offered where it opens (JSAPI in WeChat\'s browser)', async () => {
    const { w } = await mountPay(new SandboxBridge('web', true), { payType: 'jsapi' });
    await new Promise((r) => setTimeout(r, 50));
    expect(w.find('.vk-pay__unavailable').exists()).toBe(false);
    expect(w.find('button.vk-pay__button').attributes('disabled')).toBeUndefined();
  });
});

describe('uni.login at the platform boundary', () => {
  it('asks uni.login with the mini program\'s provider name and hands back its code; a failure is an error', async () => {
    loginCalls = [];
    await expect(uniLoginCode('wxpay')).resolves.toBe('wx-login-code');
    await expect(uniLoginCode('alipay')).rejects.toMatchObject({ code: 50000 });
    expect(loginCalls).toEqual([{ provider: 'weixin' }, { provider: 'alipay' }]);
  });
});

// @vitest-environment happy-dom
/**
 * An Alipay mini-program payment at the component level: `<vk-pay provider="alipay" pay-type="mp">` with the real
 * platform layer (platform.ts: uni.login, uni.requestPayment) over `uni` as uni-app's mp-alipay runtime gives it,
 * against the local host and its sandbox. The compiled mp-alipay output cannot run in WeChat's simulator (see
 * docs/TESTING.md), so the boundary is played here the way uni-app maps it onto Alipay's `my`:
 *
 * - uni.login -> my.getAuthCode (silent auth_base): the sandbox's Alipay hands out the auth code
 *   (POST /sandbox/control/login-code), returned as `code` as uni-app renames `authCode`;
 * - uni.requestPayment -> my.tradePay with `orderInfo` as `tradeNO`: the person pays that trade_no at the sandbox
 *   and the sheet ends in `success` with resultCode 9000, or backs out with resultCode 6001 (also in `success`);
 * - uni.request -> my.request over Node's http, as a mini program sends it (no browser CORS).
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import VkPay from '../../uni_modules/vk-pay/components/vk-pay/vk-pay.vue';
import { PLATFORM_KEY, tradePayOutcome, uniPlatform, type PlatformBridge } from '../../uni_modules/vk-pay/components/vk-pay/platform';
import { resetPaymentStore, usePaymentStore } from '../../uni_modules/vk-pay/components/vk-pay/store';
import { startHostProcess, type HostProcess } from '../mp/host-process';
import { freePort } from '../support/local-debug-build';

// In a process of its own: the host's cloud code would otherwise make its provider calls with happy-dom's fetch.
let host: HostProcess;
beforeAll(async () => { host = await startHostProcess(await freePort()); }, 120_000);
afterAll(async () => { await host?.close(); });

/** Node's own HTTP (happy-dom's fetch would apply a browser's CORS rules; a mini program's my.request does not). */
function send(url: string, method: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const control = async (action: string, body: unknown) => JSON.parse((await send(`${host.url}/sandbox/control/${action}`, 'POST', JSON.stringify(body), { 'content-type': 'application/json' })).text);

type Callbacks = { success?: (r: any) => void; fail?: (e: any) => void };
const storage = new Map<string, unknown>();
const device = { sheet: 'pay' as 'pay' | 'cancel', tradePays: [] as Array<{ tradeNO: string; resultCode: string }>, authCodes: 0 };

(globalThis as Record<string, unknown>).uni = {
  getSystemInfoSync: () => ({ uniPlatform: 'mp-alipay', osName: 'ios' }),
  getStorageSync: (k: string) => storage.get(k) ?? '',
  setStorageSync: (k: string, v: unknown) => void storage.set(k, v),
  removeStorageSync: (k: string) => void storage.delete(k),
  request(o: Callbacks & { url: string; method?: string; header?: Record<string, string>; data?: unknown }) {
    const body = typeof o.data === 'string' ? o.data : JSON.stringify(o.data ?? {});
    send(o.url, o.method ?? 'GET', body, o.header ?? {}).then(
      (r) => o.success?.({ statusCode: r.status, data: r.text, header: {} }),
      (e: Error) => o.fail?.({ errMsg: `request:fail ${e.message}` }),
    );
  },
  login(o: Callbacks & { provider: string }) {
    if (o.provider !== 'alipay') return o.fail?.({ errMsg: `login:fail provider ${o.provider}` });
    device.authCodes++;
    control('login-code', { provider: 'alipay', pay_type: 'mp', user: 'zhang' }).then(
      (r) => o.success?.({ code: r.code, errMsg: 'login:ok' }),
      (e: Error) => o.fail?.({ errMsg: `login:fail ${e.message}` }),
    );
  },
  requestPayment(o: Callbacks & { provider: string; orderInfo: string }) {
    const tradeNO = o.orderInfo;
    const done = (resultCode: string) => {
      device.tradePays.push({ tradeNO, resultCode });
      o.success?.({ resultCode, errMsg: 'requestPayment:ok' });
    };
    if (device.sheet === 'cancel') return setTimeout(() => done('6001'));
    control('pay', { channel: 'alipay', trade_no: tradeNO }).then((r) => done(r.ok ? '9000' : '4000'), () => done('6002'));
  },
};

/** the real platform layer; page visibility (uni-app's onShow/onHide) needs the app runtime, which is not here */
const bridge: PlatformBridge = Object.assign(Object.create(uniPlatform) as PlatformBridge, { onVisibilityChange: () => () => {} });

let wrapper: VueWrapper | undefined;
afterEach(() => { wrapper?.unmount(); wrapper = undefined; });

async function mountPay(): Promise<VueWrapper> {
  const login = JSON.parse((await send(`${host.url}/__dev/login`, 'POST', JSON.stringify({ uid: 'ali-user' }), { 'content-type': 'application/json' })).text);
  storage.set('uni_id_token', login.token);
  storage.set('uni_id_token_expired', login.tokenExpired);
  resetPaymentStore();
  usePaymentStore().configure({ transport: 'http', baseUrl: host.url });
  wrapper = mount(VkPay, {
    props: { provider: 'alipay', payType: 'mp', type: 'recharge', amount: 100, pollSchedule: [50, 50, 50, 50, 50, 50, 50, 50, 50, 50] },
    global: { provide: { [PLATFORM_KEY as symbol]: bridge } },
  });
  // the server's options (asked once at mount; the store shares the answer) say this pay type needs the payer's login
  const options = await usePaymentStore().payOptions();
  expect(options.providers?.find((p) => p.provider === 'alipay')?.login?.mp).toMatchObject({ app_id: expect.any(String) });
  await flushPromises();
  return wrapper;
}

const WAIT = { timeout: 20_000, interval: 20 };

describe('<vk-pay> in an Alipay mini program (uni over my.*)', () => {
  it('Pay: auth code -> getOpenid -> createPayment (trade_no) -> my.tradePay pays it -> success once the order row is paid', async () => {
    device.sheet = 'pay';
    const w = await mountPay();
    expect(w.find('.vk-pay__unavailable').exists()).toBe(false);
    await w.find('button.vk-pay__button').trigger('click');
    await expect.poll(() => Boolean(w.emitted('success')), WAIT).toBe(true);
    const no = usePaymentStore().lastOrderNo();
    expect(device.authCodes).toBe(1);
    const created = w.emitted('created')![0][0] as { payment: { kind: string; trade_no: string } };
    expect(created.payment.kind).toBe('trade_no');
    expect(device.tradePays.at(-1)).toEqual({ tradeNO: created.payment.trade_no, resultCode: '9000' });
    const { order } = await host.order(no);
    expect(order).toMatchObject({ provider: 'alipay', pay_type: 'mp', status: 'paid', amount: 100, user_id: 'ali-user' });
    expect(w.emitted('success')![0][0]).toMatchObject({ out_trade_no: no, status: 'paid' });
  }, 60_000);

  it('backing out of my.tradePay (resultCode 6001, in success) -> cancel, and the order stays unpaid', async () => {
    device.sheet = 'cancel';
    const w = await mountPay();
    await w.find('button.vk-pay__button').trigger('click');
    await expect.poll(() => Boolean(w.emitted('cancel')), WAIT).toBe(true);
    const no = usePaymentStore().lastOrderNo();
    expect(w.emitted('cancel')![0][0]).toEqual({ out_trade_no: no });
    expect(w.emitted('success')).toBeUndefined();
    expect(device.tradePays.at(-1)?.resultCode).toBe('6001');
    const { order } = await host.order(no);
    expect(order.status).not.toBe('paid');
    expect(order).toMatchObject({ status: 'closed', close_reason: 'cancelled' });
  }, 60_000);
});

describe('tradePayOutcome: what a success of uni.requestPayment says', () => {
  it('Alipay mini programs report in success with resultCode: 6001 backs out, 4000/6002 fail, 9000/8000/6004 leave it to the server', () => {
    for (const code of ['9000', '8000', '6004', 9000]) expect(tradePayOutcome({ resultCode: code })).toBe('ok');
    expect(tradePayOutcome({ resultCode: '6001' })).toBe('cancel');
    for (const code of ['4000', '6002', '4']) expect(tradePayOutcome({ resultCode: code })).toMatchObject({ code: 50000, detail: `requestPayment:fail resultCode ${code}` });
    // WeChat's and the App's success carries no resultCode: the platform's ok
    expect(tradePayOutcome({ errMsg: 'requestPayment:ok' })).toBe('ok');
    expect(tradePayOutcome(undefined)).toBe('ok');
  });
});

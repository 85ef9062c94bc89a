/**
 * What the <vk-pay> component tests share (vk-pay-polling, vk-pay-events, vk-pay-appstore): a real HTTP server in
 * the test's process that plays the cloud object (`script` says what it answers next, `calls` records what reached
 * it and when, on the fake clock), the test's stand-in for the platform's payment sheet (happy-dom has no WeChat or
 * Alipay; visibility is the real DOM event), uni's storage, and mounting and clicking the component.
 *
 * `useVkPayHarness()` registers the server and the per-test reset (fake timers, a fresh bridge) in the calling
 * test file; `h.bridge` is that test's bridge.
 */
import http from 'node:http';
import { setImmediate as realImmediate } from 'node:timers';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import VkPay from '../../../uni_modules/vk-pay/components/vk-pay/vk-pay.vue';
import { PLATFORM_KEY, documentVisibility, type PaymentOutcome, type PlatformBridge } from '../../../uni_modules/vk-pay/components/vk-pay/platform';
import type { ClientPayment } from '../../../uni_modules/vk-pay/components/vk-pay/api-types';
import { resetPaymentStore, usePaymentStore } from '../../../uni_modules/vk-pay/components/vk-pay/store';

export type Envelope = Record<string, unknown>;
export interface Call { method: string; at: number; body: Record<string, unknown>; headers: http.IncomingHttpHeaders }

/** What the fake cloud object answers next; queries consume `queries` in order and repeat the last one. */
export const script: { create: Envelope; queries: Envelope[]; options: Envelope } = { create: {}, queries: [], options: { code: 0, msg: 'ok', data: null } };
export const calls: Call[] = [];
let server: http.Server;
let base = '';

export const pending = (no: string) => ({ code: 0, msg: 'ok', data: { out_trade_no: no, status: 'pending', amount: 100, refunded_amount: 0 } });
export const final = (no: string, status: string) => ({ code: 0, msg: 'ok', data: { out_trade_no: no, status, amount: 100, paid_at: 1, refunded_amount: 0 } });
export const created = (no: string, payment: ClientPayment) => ({ code: 0, msg: 'ok', data: { out_trade_no: no, amount: 100, expires_at: 2e12, payment } });

/** The test's stand-in for the WeChat/Alipay sheet; visibility is the real DOM event. */
export class TestBridge implements PlatformBridge {
  outcome: PaymentOutcome | Error = 'ok';
  paid: { provider: string; payment: ClientPayment }[] = [];
  opened: string[] = [];
  redirected: string[] = [];
  platform() { return 'web'; }
  async requestPayment(provider: 'wxpay' | 'alipay', payment: ClientPayment): Promise<PaymentOutcome> {
    this.paid.push({ provider, payment });
    if (this.outcome instanceof Error) throw this.outcome;
    return this.outcome;
  }
  redirect(url: string) { this.redirected.push(url); }
  openWindow(url: string) { this.opened.push(url); }
  onVisibilityChange(listener: (visible: boolean) => void) { return documentVisibility(listener); }
  async loginCode(): Promise<string> { throw new Error('no login in these tests'); }
  inWeixinBrowser() { return false; }
  currentUrl() { return 'http://app.example/'; }
  replaceUrl() {}
}

/** the current test's bridge and mounted component */
export const h = { bridge: new TestBridge() };
let wrapper: VueWrapper | undefined;

export function setHidden(hidden: boolean): void {
  Object.defineProperty(document, 'visibilityState', { value: hidden ? 'hidden' : 'visible', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

/** Lets real I/O (the HTTP round trip) finish without moving the fake clock. */
export async function settle(untilCalls?: number): Promise<void> {
  const deadline = performance.now() + 3000;
  for (;;) {
    await new Promise((r) => realImmediate(r));
    await new Promise((r) => realImmediate(r));
    if (untilCalls === undefined || calls.length >= untilCalls || performance.now() > deadline) break;
  }
  // one more turn so the component has handled the reply
  for (let i = 0; i < 20; i++) await new Promise((r) => realImmediate(r));
}

/** uni's storage, the one platform API the store reads here: uni-id keeps the signed-in user's token in it. */
const storage = new Map<string, unknown>();
(globalThis as Record<string, unknown>).uni = {
  getStorageSync: (k: string) => storage.get(k) ?? '',
  setStorageSync: (k: string, v: unknown) => void storage.set(k, v),
  removeStorageSync: (k: string) => void storage.delete(k),
};

export function mountPay(props: Record<string, unknown> = {}): VueWrapper {
  storage.clear();
  storage.set('uni_id_token', 'token-of-buyer-1');
  storage.set('uni_id_token_expired', 4e12);
  resetPaymentStore();
  usePaymentStore().configure({ baseUrl: base });
  wrapper = mount(VkPay, {
    props: { provider: 'wxpay', payType: 'native', type: 'recharge', amount: 100, ...props },
    global: { provide: { [PLATFORM_KEY as symbol]: h.bridge } },
  });
  return wrapper;
}

export async function clickPay(w: VueWrapper, expectCalls = calls.length + 1): Promise<void> {
  await w.find('button.vk-pay__button').trigger('click');
  await settle(expectCalls);
}

export const queriesOf = () => calls.filter((c) => c.method === 'queryPayment');

/** Moves the fake clock to 1 ms before the next query is due (none yet), then to the moment it is (one more). */
export async function expectQueryAfter(delay: number): Promise<void> {
  const n = queriesOf().length;
  await vi.advanceTimersByTimeAsync(delay - 1);
  await settle();
  expect(queriesOf()).toHaveLength(n);
  await vi.advanceTimersByTimeAsync(1);
  await settle(calls.length + 1);
  expect(queriesOf()).toHaveLength(n + 1);
}

/** Registers the fake cloud object (for the file) and the per-test reset in the calling test file. */
export function useVkPayHarness(): void {
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'access-control-allow-methods': 'POST' };
        if (req.method === 'OPTIONS') {
          res.writeHead(204, cors);
          return res.end();
        }
        const method = (req.url ?? '').replace('/http/vk-pay-co/', '');
        if (method === 'getPayOptions') {
          // asked once by the component when it mounts; these tests play no options (vk-pay-login.test.ts does)
          res.writeHead(200, { 'content-type': 'application/json', ...cors });
          return res.end(JSON.stringify(script.options));
        }
        calls.push({ method, at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString() || '{}'), headers: req.headers });
        let reply: Envelope;
        if (method === 'createPayment') reply = script.create;
        else reply = script.queries.length > 1 ? script.queries.shift()! : script.queries[0];
        res.writeHead(200, { 'content-type': 'application/json', ...cors });
        res.end(JSON.stringify(reply));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    calls.length = 0;
    h.bridge = new TestBridge();
    setHidden(false);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = undefined;
    vi.useRealTimers();
  });
}

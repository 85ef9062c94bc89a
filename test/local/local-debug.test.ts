/**
 * uniCloud's local-debug protocol on the host, driven by uniCloud's own client: the SDK in
 * node_modules/@dcloudio/uni-cloud (its CommonJS build) is loaded as an H5 app built for local debugging would
 * have it (UNI_PLATFORM h5, NODE_ENV development, UNICLOUD_DEBUG naming this host, one space), so every request
 * below is built by the SDK's code: ping, check-function, then the call. Its only stand-in is `uni.request`, here
 * on fetch, as uni-app's H5 runtime implements it (JSON body for an object, JSON reply parsed). The browser test
 * (test/browser/no-external-requests.test.ts) runs the same path in the real H5 runtime.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../../local/host';

const SPACE = { provider: 'dcloud', spaceName: 'vk-pay-local', spaceId: 'vk-pay-local', clientSecret: '' };
const SEED_COLLECTIONS = ['payment_orders', 'payment_logs', 'payment_errors'];

interface SentRequest { method: string; url: string; data: unknown }
interface UniRequestOptions {
  url: string;
  method?: string;
  data?: unknown;
  header?: Record<string, string>;
  timeout?: number;
  success?: (res: { statusCode: number; data: unknown; header: Record<string, string> }) => void;
  fail?: (err: { errMsg: string }) => void;
  complete?: (res: unknown) => void;
}
type CloudObject = Record<string, (...args: unknown[]) => Promise<Record<string, unknown>>>;
interface UniCloudSdk {
  importObject(name: string, options?: { customUI?: boolean }): CloudObject;
  callFunction(opts: { name: string; data?: unknown }): Promise<{ result: unknown }>;
  config: Record<string, unknown>;
}

let home: string;
let host: Host;
let uniCloud: UniCloudSdk;
const sent: SentRequest[] = [];
const storage = new Map<string, unknown>();

/** uni.request as uni-app's H5 runtime does it: an object body goes as JSON, a JSON reply comes back parsed. */
function uniRequest(o: UniRequestOptions): void {
  const method = (o.method ?? 'GET').toUpperCase();
  sent.push({ method, url: o.url, data: o.data });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.timeout ?? 60_000);
  const headers: Record<string, string> = { ...(o.header ?? {}) };
  let body: string | undefined;
  if (method !== 'GET' && o.data !== undefined) {
    body = typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  fetch(o.url, { method, headers, body, signal: controller.signal }).then(
    async (res) => {
      const text = await res.text();
      let data: unknown = text;
      try { data = JSON.parse(text); } catch { /* a text reply stays text */ }
      const r = { statusCode: res.status, data, header: Object.fromEntries(res.headers.entries()) };
      o.success?.(r);
      o.complete?.(r);
    },
    () => {
      const r = { errMsg: 'request:fail' };
      o.fail?.(r);
      o.complete?.(r);
    },
  ).finally(() => clearTimeout(timer));
}

/** Loads the SDK with the build-time values an H5 app built for local debugging against `port` carries. */
function loadSdk(port: number): UniCloudSdk {
  const env = {
    UNI_PLATFORM: 'h5',
    NODE_ENV: 'development',
    UNICLOUD_DEBUG: JSON.stringify({ address: ['127.0.0.1'], servePort: port, initialLaunchType: 'local' }),
    UNI_CLOUD_PROVIDER: JSON.stringify([SPACE]),
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const g = globalThis as Record<string, unknown>;
  // The SDK makes itself the page's global `uniCloud`; in this process that name belongs to the host's cloud-side
  // global (database, httpclient), which the functions use, so it is put back after loading.
  const hostGlobals = { uniCloud: g.uniCloud, UniCloudError: g.UniCloudError };
  g.window ??= globalThis;
  g.uni = {
    request: uniRequest,
    getStorageSync: (k: string) => storage.get(k) ?? '',
    setStorageSync: (k: string, v: unknown) => void storage.set(k, v),
    removeStorageSync: (k: string) => void storage.delete(k),
    getSystemInfoSync: () => ({ uniPlatform: 'web', osName: 'linux', deviceId: 'test-device', appId: '', appName: 'vk-pay', browserName: 'node' }),
    getLocale: () => 'en',
  };
  try {
    const req = createRequire(__filename);
    return (req('@dcloudio/uni-cloud/dist/uni-cloud.cjs.js') as { uniCloud: UniCloudSdk }).uniCloud;
  } finally {
    Object.assign(g, hostGlobals);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function login(uid: string): Promise<string> {
  const res = await fetch(`${host.url}/__dev/login`, { method: 'POST', body: JSON.stringify({ uid }) });
  return ((await res.json()) as { token: string }).token;
}

function post(p: string, body: unknown) {
  return fetch(host.url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function dbFingerprint(): Promise<string> {
  const counts = await Promise.all(SEED_COLLECTIONS.map(async (c) => (await host.db.collection(c).count()).total));
  const data = path.join(home, 'db', 'data.mdb');
  return `${counts.join(',')}:${fs.existsSync(data) ? createHash('sha256').update(fs.readFileSync(data)).digest('hex') : 'none'}`;
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-local-debug-'));
  host = await startHost({ port: 0, home, quiet: true, timers: false });
  uniCloud = loadSdk(host.port);
}, 120_000);

afterAll(async () => {
  await host?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('uniCloud client SDK -> host (local-debug protocol)', () => {
  it('importObject pings, checks the function, then posts the call; the reply is the cloud object\'s envelope', async () => {
    sent.length = 0;
    expect(uniCloud.config).toMatchObject({ provider: 'dcloud', spaceId: 'vk-pay-local' });
    const reply = await uniCloud.importObject('vk-pay-co', { customUI: true }).getPayOptions({});
    expect(reply).toMatchObject({ errCode: 0, code: 0, msg: 'ok' });
    expect(JSON.stringify(reply.data)).toContain('wxpay');

    const base = `http://127.0.0.1:${host.port}`;
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET ${base}/system/ping`,
      `POST ${base}/system/check-function`,
      `POST ${base}/cloudfunctions/vk-pay-co`,
    ]);
    expect(sent[1].data).toEqual({ name: 'vk-pay-co', platform: 'web', provider: 'dcloud', spaceId: 'vk-pay-local' });
    const call = sent[2].data as { provider: string; platform: string; param: Record<string, unknown> };
    expect(call).toMatchObject({ provider: 'dcloud', platform: 'web', param: { method: 'getPayOptions', params: [{}] } });
    expect(call.param.clientInfo).toMatchObject({ uniPlatform: 'web', PLATFORM: 'web', locale: 'en' });
    // no token in storage yet: none sent
    expect(call.param).not.toHaveProperty('uniIdToken');
  });

  it('sends the stored uni-id token, which the cloud object verifies: the order is the token\'s user, from web', async () => {
    storage.set('uni_id_token', await login('sdk-user'));
    sent.length = 0;
    const co = uniCloud.importObject('vk-pay-co', { customUI: true });
    const reply = await co.createPayment({ provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 5 });
    expect(reply).toMatchObject({ errCode: 0, code: 0 });
    const data = reply.data as { out_trade_no: string; amount: number };
    expect(data.amount).toBe(5);
    const call = sent.at(-1)!.data as { param: { uniIdToken?: string; params: unknown[] } };
    expect(call.param.uniIdToken).toBe(storage.get('uni_id_token'));
    expect(call.param.params).toEqual([{ provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 5 }]);
    const { data: orders } = await host.db.collection('payment_orders').where({ out_trade_no: data.out_trade_no }).get();
    expect(orders[0]).toMatchObject({ user_id: 'sdk-user', platform: 'web', client_ip: '127.0.0.1' });
    // the SDK pings once per page life, and checks the function on every call
    expect(sent.map((r) => new URL(r.url).pathname)).toEqual(['/system/check-function', '/cloudfunctions/vk-pay-co']);
  });

  it('a failure throws as importObject throws: errCode is the table code, errSubject vk-pay', async () => {
    const co = uniCloud.importObject('vk-pay-co', { customUI: true });
    const err = (await co.queryPayment({ out_trade_no: 'NOSUCHORDER01' }).catch((e: unknown) => e)) as { errCode: unknown; errSubject: unknown; errMsg: string };
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ errCode: 40005, errSubject: 'vk-pay' });
  });

  it('a forged token is refused by the cloud object (40009), not trusted by the protocol', async () => {
    const good = String(storage.get('uni_id_token'));
    const [h, p] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString('utf8')), uid: 'someone-else' })).toString('base64url');
    storage.set('uni_id_token', `${h}.${forgedPayload}.${good.split('.')[2]}`);
    try {
      const co = uniCloud.importObject('vk-pay-co', { customUI: true });
      const err = (await co.createPayment({ provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 5 }).catch((e: unknown) => e)) as { errCode: unknown };
      expect(err).toMatchObject({ errCode: 40009 });
    } finally {
      storage.set('uni_id_token', good);
    }
  });

  it('a function the host does not have fails on the client instead of going to a space', async () => {
    const err = (await uniCloud.importObject('no-such-object', { customUI: true }).anything({}).catch((e: unknown) => e)) as { errCode: unknown; errMsg: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.errMsg).toContain('no cloud function no-such-object');
    // the SDK asked, was told no, and never posted a call
    expect(sent.at(-1)!.url).toMatch(/\/system\/check-function$/);
  });
});

describe('the protocol refuses bad input before any function runs (nothing written)', () => {
  it('answers ping and check-function as HBuilderX does', async () => {
    expect(await (await fetch(`${host.url}/system/ping`)).json()).toEqual({ code: 0 });
    expect(await (await post('/system/check-function', { name: 'vk-pay-co', platform: 'web', provider: 'dcloud', spaceId: 'x' })).json()).toMatchObject({ code: 0 });
    expect(await (await post('/system/check-function', { name: 'nope', platform: 'web', provider: 'dcloud' })).json()).toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
    const pre = await fetch(`${host.url}/cloudfunctions/vk-pay-co`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('refuses private or unknown methods, bad bodies and big bodies with the table code the SDK turns into errCode', async () => {
    const before = await dbFingerprint();
    const cases: Array<[string, unknown, number]> = [
      ['/cloudfunctions/vk-pay-co', { provider: 'dcloud', platform: 'web', param: { method: '_before', params: [] } }, 404],
      ['/cloudfunctions/vk-pay-co', { provider: 'dcloud', platform: 'web', param: { method: 'constructor', params: [] } }, 404],
      ['/cloudfunctions/vk-pay-co', { provider: 'dcloud', platform: 'web', param: { method: 'createPayment', params: 'x' } }, 400],
      ['/cloudfunctions/vk-pay-co', { provider: 'dcloud', platform: 'web', param: 'x' }, 400],
      ['/cloudfunctions/vk-pay-co', 'not json', 400],
      ['/cloudfunctions/vk-pay-co', [1, 2], 400],
      ['/cloudfunctions/no-such', { param: {} }, 404],
      ['/system/check-function', { platform: 'web' }, 400],
      ['/system/check-function', { name: 'vk-pay-co', provider: 'paypal' }, 400],
      ['/cloudfunctions/vk-pay-co', { param: { method: 'createPayment', params: [{ pad: 'x'.repeat(300 * 1024) }] } }, 413],
    ];
    for (const [p, body, status] of cases) {
      const res = await post(p, body);
      expect(res.status, `${p} ${JSON.stringify(body).slice(0, 80)}`).toBe(status);
      const reply = (await res.json()) as { code: number; errCode: number; message: string };
      expect(reply.code).toBe(40001);
      expect(reply.errCode).toBe(40001);
      expect(reply.message).toBeTruthy();
    }
    const get = await fetch(`${host.url}/cloudfunctions/vk-pay-co`);
    expect(get.status).toBe(405);
    expect(await dbFingerprint()).toBe(before);
  });

  it('takes the caller\'s IP and source from the connection, never from the client info it sends', async () => {
    const token = await login('ip-user');
    const res = await post('/cloudfunctions/vk-pay-co', {
      provider: 'dcloud',
      platform: 'web',
      param: { method: 'createPayment', params: [{ provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 7 }], uniIdToken: token, clientInfo: { clientIP: '8.8.8.8', source: 'function', uniPlatform: 'web', nested: { no: 1 } } },
    });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { errCode: number; data: { out_trade_no: string } };
    expect(reply.errCode).toBe(0);
    const { data: orders } = await host.db.collection('payment_orders').where({ out_trade_no: reply.data.out_trade_no }).get();
    expect(orders[0]).toMatchObject({ user_id: 'ip-user', client_ip: '127.0.0.1', platform: 'web' });
  });
});

/**
 * Identity through the local host, as on a real space: `POST /__dev/login` (sandbox env only) issues a uni-id
 * token signed with the project's uni-id secret; the cloud object verifies it through uni-id-common by uni-id's
 * rules; a forged or expired token is 40009 with one error row and nothing else written; a uni-id user with the
 * admin role reaches the admin methods. With a production config the host serves no sandbox and no dev route,
 * and no header but a valid token names a user.
 */
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../../local/host';

const ROOT = path.resolve(__dirname, '../..');
const COLLECTIONS = ['payment_orders', 'payment_transactions', 'refund_records', 'payment_logs', 'payment_errors', 'payment_notifications'];

async function post(host: Host, p: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(host.url + p, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let json: unknown = text;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json };
}

async function counts(host: Host): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of COLLECTIONS) out[c] = (await host.db.collection(c).count()).total;
  return out;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('identity on the local host (sandbox env)', () => {
  let home: string;
  let host: Host;
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-identity-'));
    host = await startHost({ port: 0, home, quiet: true, timers: false });
  }, 120_000);
  afterAll(async () => {
    await host?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('POST /__dev/login issues a uni-id token that pays as that user', async () => {
    const login = await post(host, '/__dev/login', { uid: 'alice' });
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({ uid: 'alice', token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), tokenExpired: expect.any(Number) });
    expect(login.json.tokenExpired).toBeGreaterThan(Date.now());
    const payload = JSON.parse(Buffer.from(login.json.token.split('.')[1], 'base64url').toString('utf8'));
    expect(payload).toMatchObject({ uid: 'alice', role: [] });
    const created = await post(host, '/http/vk-pay-co/createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount: 321 }, { 'uni-id-token': login.json.token });
    expect(created.json).toMatchObject({ errCode: 0, code: 0, data: { amount: 321 } });
    const order = (await host.db.collection('payment_orders').where({ out_trade_no: created.json.data.out_trade_no }).get()).data[0] as { user_id: string };
    expect(order.user_id).toBe('alice');
    // the owner reads it; another user may not
    const bob = await post(host, '/__dev/login', { uid: 'bob' });
    expect((await post(host, '/http/vk-pay-co/queryPayment', { out_trade_no: created.json.data.out_trade_no }, { 'uni-id-token': login.json.token })).json).toMatchObject({ code: 0 });
    expect((await post(host, '/http/vk-pay-co/queryPayment', { out_trade_no: created.json.data.out_trade_no }, { 'uni-id-token': bob.json.token })).json).toMatchObject({ errCode: 40009 });
  });

  it('refuses bad login input', async () => {
    for (const body of [{}, { uid: '' }, { uid: 'a b' }, { uid: 'x'.repeat(65) }, { uid: 'ok', role: ['ad min'] }, { uid: 'ok', role: 7 }]) {
      const r = await post(host, '/__dev/login', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json).toMatchObject({ errCode: 40001 });
    }
  });

  it('a forged, expired or foreign token -> 40009, one error row, nothing else written; the old dev header names nobody', async () => {
    const good = (await post(host, '/__dev/login', { uid: 'carol' })).json.token as string;
    const [head, , sig] = good.split('.');
    const now = Math.floor(Date.now() / 1000);
    const secret = fs.readFileSync(path.join(home, 'uni-id-token-secret'), 'utf8').trim();
    const signed = (payload: object, key: string) => {
      const h = b64({ alg: 'HS256', typ: 'JWT' });
      const p = b64(payload);
      return `${h}.${p}.${createHmac('sha256', key).update(`${h}.${p}`).digest('base64url')}`;
    };
    const bad = {
      edited: `${head}.${b64({ uid: 'mallory', role: ['admin'], iat: now, exp: now + 3600 })}.${sig}`,
      foreign: signed({ uid: 'carol', role: [], iat: now, exp: now + 3600 }, 'another-projects-secret'),
      expired: signed({ uid: 'carol', role: [], iat: now - 7300, exp: now - 100 }, secret),
    };
    for (const [name, token] of Object.entries(bad)) {
      const before = await counts(host);
      const r = await post(host, '/http/vk-pay-co/createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount: 100 }, { 'uni-id-token': token });
      expect(r.json, name).toMatchObject({ errCode: 40009, code: 40009, errSubject: 'vk-pay' });
      const after = await counts(host);
      expect(after, name).toEqual({ ...before, payment_errors: before.payment_errors + 1 });
    }
    const header = await post(host, '/http/vk-pay-co/createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount: 100 }, { 'x-vkpay-dev-uid': 'carol' });
    expect(header.json).toMatchObject({ errCode: 40009, msg: expect.stringContaining('sign in first') });
  });

  it('admin methods: a uni-id user with the admin role or the bearer token; a plain user is refused', async () => {
    const admin = (await post(host, '/__dev/login', { uid: 'ops', role: 'admin' })).json.token as string;
    const user = (await post(host, '/__dev/login', { uid: 'dave' })).json.token as string;
    expect((await post(host, '/http/vk-pay-co/getStats', {}, { 'uni-id-token': admin })).json).toMatchObject({ errCode: 0 });
    expect((await post(host, '/http/vk-pay-co/getStats', {}, { authorization: `Bearer ${host.adminToken}` })).json).toMatchObject({ errCode: 0 });
    expect((await post(host, '/http/vk-pay-co/getStats', {}, { 'uni-id-token': user })).json).toMatchObject({ errCode: 40009 });
  });
});

describe('a host whose config says production', () => {
  let home: string;
  let project: string;
  let host: Host;
  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cloud.mjs'), '--if-stale'], { stdio: 'pipe' });
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-prod-home-'));
    project = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-prod-project-'));
    // the same plugin, with a config that is not the sandbox's
    fs.cpSync(path.join(ROOT, 'uni_modules'), path.join(project, 'uni_modules'), { recursive: true, filter: (src) => !src.includes(`${path.sep}src${path.sep}`) && !src.endsWith(`${path.sep}src`) });
    const cfgDir = path.join(project, 'uni_modules', 'uni-config-center', 'uniCloud', 'cloudfunctions', 'common', 'uni-config-center', 'vk-pay');
    fs.writeFileSync(path.join(cfgDir, 'config.js'), fs.readFileSync(path.join(cfgDir, 'config.js'), 'utf8')
      .replace("env: 'sandbox'", "env: 'production'")
      .replace("notifyUrl: base + '/http/vk-pay-notify'", "notifyUrl: 'https://pay.example.com/http/vk-pay-notify'")
      .replaceAll("base + '/sandbox/wxpay/'", "'https://api.mch.weixin.qq.com/'")
      .replace("base + '/sandbox/alipay/gateway.do'", "'https://openapi.alipay.com/gateway.do'")
      .replace("const appleBase = base + '/sandbox/appleiap';", "const appleBase = 'https://api.storekit.itunes.apple.com';")
      .replaceAll("wxapiBaseUrl: base + '/sandbox/wxapi/'", "wxapiBaseUrl: 'https://api.weixin.qq.com/'")
      .replace("oauthAuthorizeUrl: base + '/sandbox/wxopen/connect/oauth2/authorize'", "oauthAuthorizeUrl: 'https://open.weixin.qq.com/connect/oauth2/authorize'"));
    host = await startHost({ port: 0, home, quiet: true, timers: false, projectDir: project });
  }, 120_000);
  afterAll(async () => {
    await host?.close();
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(project, { recursive: true, force: true });
  });

  it('serves no sandbox and no dev route', async () => {
    for (const p of ['/__dev/login', '/__dev/timers/vk-pay-sync', '/sandbox/control/reset', '/sandbox/control/pay', '/sandbox/alipay/gateway.do']) {
      const r = await post(host, p, { uid: 'x' });
      expect(r.status, p).toBe(404);
    }
    expect((await fetch(`${host.url}/sandbox/cashier/x`)).status).toBe(404);
  });

  it('names no user from a header: the retired dev header gets "sign in first"', async () => {
    const r = await post(host, '/http/vk-pay-co/createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount: 100 }, { 'x-vkpay-dev-uid': 'carol' });
    expect(r.json, JSON.stringify(r.json)).toMatchObject({ errCode: 40009 });
  });
});

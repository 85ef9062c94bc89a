import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, v3Call, type RunningSandbox } from './helpers';

let s: RunningSandbox;
beforeAll(async () => { s = await startSandbox(); });
afterAll(async () => { await s.close(); });

describe('malformed and unsigned input gets the real gateway error shape', () => {
  it('v2: an entity-expansion payload is not expanded and is refused as FAIL', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "${'A'.repeat(1000)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>`
      + `<xml><appid>&b;</appid><mch_id>${s.creds.wxpay.mchId}</mch_id><nonce_str>n</nonce_str><sign>X</sign></xml>`;
    const r = await fetch(`${s.base}/sandbox/wxpay/pay/orderquery`, { method: 'POST', body: bomb });
    const text = await r.text();
    expect(text).toContain('<return_code><![CDATA[FAIL]]></return_code>');
    expect(text.length).toBeLessThan(500);
  });

  it('v2: a GET, and an unsigned body, get return_code FAIL', async () => {
    expect(await (await fetch(`${s.base}/sandbox/wxpay/pay/unifiedorder`)).text()).toContain('FAIL');
    const unsigned = `<xml><appid>${s.creds.wxpay.appId}</appid><mch_id>${s.creds.wxpay.mchId}</mch_id><nonce_str>n</nonce_str></xml>`;
    expect(await (await fetch(`${s.base}/sandbox/wxpay/pay/orderquery`, { method: 'POST', body: unsigned })).text()).toContain('缺少参数sign');
  });

  it('v3: an unknown API path is 404 after authentication, and garbage Authorization is 401', async () => {
    const r = await v3Call(s, 'GET', '/v3/nothing/here');
    expect([r.status, r.json().code]).toEqual([404, 'NOT_FOUND']);
    const garbage = await fetch(`${s.base}/sandbox/wxpay/v3/pay/transactions/native`, { method: 'POST', headers: { authorization: 'WECHATPAY2-SHA256-RSA2048 nonsense' }, body: '{}' });
    expect(garbage.status).toBe(401);
  });

  it('alipay: a bare GET gets error_response isv.missing-method', async () => {
    const bare = await fetch(`${s.base}/sandbox/alipay/gateway.do`);
    expect(((await bare.json()) as any).error_response.sub_code).toBe('isv.missing-method');
  });

  it('control: a body that is not JSON is 400; unknown actions 404; handle() declines non-sandbox paths', async () => {
    const r = await fetch(`${s.base}/sandbox/control/pay`, { method: 'POST', body: '{nope' });
    expect(r.status).toBe(400);
    expect((await fetch(`${s.base}/sandbox/control/explode`, { method: 'POST', body: '{}' })).status).toBe(404);
    const res = new http.ServerResponse(new http.IncomingMessage(null as never));
    expect(await s.sandbox.handle(Object.assign(new http.IncomingMessage(null as never), { url: '/http/vk-pay-co/x', method: 'GET' }), res)).toBe(false);
  });
});

describe('npm run sandbox', () => {
  it('starts a standalone server that prints a ready line with its URL and serves /sandbox/', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-main-'));
    const child = spawn(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'sandbox/main.ts'], {
      env: { ...process.env, PORT: '0', VKPAY_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no ready line: ${out}`)), 20_000);
        child.stdout.on('data', (d) => {
          out += String(d);
          const m = out.match(/ready at (http:\/\/\S+)/);
          if (m) { clearTimeout(timer); resolve(m[1]); }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('vk-pay 沙箱');
    } finally {
      if (child.pid !== undefined && child.exitCode === null) child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(home, { recursive: true, force: true });
    }
  });
});

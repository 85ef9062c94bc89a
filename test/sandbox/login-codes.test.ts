/**
 * The sandbox's login codes (section 12): POST /sandbox/control/login-code hands out what a device's login returns;
 * /sandbox/wxapi/ answers jscode2session and sns/oauth2/access_token as api.weixin.qq.com does (errcode/errmsg with
 * HTTP 200), and the Alipay gateway answers alipay.system.oauth.token - each code once, for its own app only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAlipayResponse } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import { alipayCall, control, startSandbox, type RunningSandbox } from './helpers';

let s: RunningSandbox;
let clock = Date.now();
beforeAll(async () => { s = await startSandbox({ now: () => clock }); });
afterAll(async () => { await s.close(); });

async function code(body: Record<string, unknown>): Promise<string> {
  const r = await control(s, 'login-code', body);
  expect(r.status).toBe(200);
  return r.json().code;
}

async function wx(path: string, q: Record<string, string>, method = 'GET') {
  const res = await fetch(`${s.base}/sandbox/wxapi${path}?${new URLSearchParams(q)}`, { method });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

const mpApp = () => s.creds.wxpay.apps.mp;
const session = (js_code: string, over: Record<string, string> = {}) =>
  wx('/sns/jscode2session', { appid: mpApp().appId, secret: mpApp().appSecret, js_code, grant_type: 'authorization_code', ...over });

describe('WeChat login-code exchanges', () => {
  it('jscode2session: openid + session_key once; then 40163 code been used', async () => {
    const c = await code({ provider: 'wxpay', pay_type: 'mp', user: 'alice' });
    expect(c).toMatch(/^[A-Za-z0-9]{32}$/);
    const first = await session(c);
    expect(first).toEqual({ session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/), openid: expect.stringMatching(/^o[A-Za-z0-9]{27}$/) });
    expect(await session(c)).toMatchObject({ errcode: 40163, errmsg: expect.stringMatching(/^code been used, rid: /) });
    // the same person logging in again has the same openid under the same app
    expect((await session(await code({ provider: 'wxpay', pay_type: 'mp', user: 'alice' }))).openid).toBe(first.openid);
    expect((await session(await code({ provider: 'wxpay', pay_type: 'mp', user: 'carol' }))).openid).not.toBe(first.openid);
  });

  it('checks appid, secret (constant time), code and grant_type in WeChat\'s order and words', async () => {
    const c = await code({ provider: 'wxpay', pay_type: 'mp' });
    expect(await session(c, { appid: '' })).toMatchObject({ errcode: 41002 });
    expect(await session(c, { appid: 'wx0000000000000000' })).toMatchObject({ errcode: 40013, errmsg: expect.stringMatching(/^invalid appid/) });
    expect(await session(c, { secret: '' })).toMatchObject({ errcode: 41004 });
    expect(await session(c, { secret: 'f'.repeat(32) })).toMatchObject({ errcode: 40125, errmsg: expect.stringMatching(/^invalid appsecret/) });
    expect(await session('', {})).toMatchObject({ errcode: 41008 });
    expect(await session(c, { grant_type: 'client_credential' })).toMatchObject({ errcode: 40002 });
    expect(await session('made-up-code')).toMatchObject({ errcode: 40029, errmsg: expect.stringMatching(/^invalid code/) });
    // none of the refusals spent the code
    expect(await session(c)).toHaveProperty('openid');
  });

  it('a code of another app is invalid (40029) there and stays good for its own', async () => {
    const oa = s.creds.wxpay.apps.jsapi;
    const c = await code({ provider: 'wxpay', pay_type: 'jsapi', user: 'alice' });
    expect(await session(c)).toMatchObject({ errcode: 40029 });
    const token = await wx('/sns/oauth2/access_token', { appid: oa.appId, secret: oa.appSecret, code: c, grant_type: 'authorization_code' });
    expect(token).toMatchObject({ expires_in: 7200, scope: 'snsapi_base', openid: expect.stringMatching(/^o[A-Za-z0-9]{27}$/) });
    expect(typeof token.access_token).toBe('string');
    expect(token).not.toHaveProperty('session_key');
  });

  it('an expired code (older than 5 minutes) -> 40029; POST -> 43001', async () => {
    const c = await code({ provider: 'wxpay', pay_type: 'mp' });
    clock += 5 * 60_000 + 1;
    try {
      expect(await session(c)).toMatchObject({ errcode: 40029 });
    } finally {
      clock = Date.now();
    }
    expect(await wx('/sns/jscode2session', {}, 'POST')).toMatchObject({ errcode: 43001 });
  });

  it('the control refuses an unknown provider or app', async () => {
    expect((await control(s, 'login-code', { provider: 'paypal' })).status).toBe(400);
    expect((await control(s, 'login-code', { provider: 'wxpay', appid: 'wx-not-ours' })).status).toBe(400);
    expect((await control(s, 'login-code', { provider: 'wxpay', user: 'x'.repeat(65) })).status).toBe(400);
    expect((await control(s, 'login-code', { provider: 'wxpay', appid: s.creds.wxpay.appId })).json()).toMatchObject({ appid: s.creds.wxpay.appId });
  });
});

describe('alipay.system.oauth.token', () => {
  const exchange = (c: string, grant = 'authorization_code') => alipayCall(s, 'alipay.system.oauth.token', {}, { extra: { grant_type: grant, code: c } });

  it('answers open_id signed and without a code; a spent or unknown code -> error_response isv.code-invalid', async () => {
    const c = await code({ provider: 'alipay', user: 'bob' });
    const r = await exchange(c);
    const key = 'alipay_system_oauth_token_response';
    const json = r.json();
    expect(verifyAlipayResponse(r.text, key, json.sign, s.creds.alipay.alipay.publicKeyPem)).toBe(true);
    expect(json[key]).toMatchObject({ open_id: expect.stringMatching(/^0[A-Za-z0-9]{46}$/), expires_in: expect.any(Number), access_token: expect.any(String) });
    expect(json[key]).not.toHaveProperty('code');
    for (const again of [c, 'deadbeefdeadbeefdeadbeefdeadbeef']) {
      const bad = (await exchange(again)).json();
      expect(bad.error_response).toEqual({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.code-invalid', sub_msg: '授权码code无效' });
    }
    expect((await exchange(await code({ provider: 'alipay' }), 'refresh_token')).json().error_response).toMatchObject({ sub_code: 'isv.invalid-grant-type' });
  });
});

describe('the official account OAuth page', () => {
  const authorize = (q: Record<string, string>) => fetch(`${s.base}/sandbox/wxopen/connect/oauth2/authorize?${new URLSearchParams(q)}`, { redirect: 'manual' });

  it('sends the person back with a code of that appid and the state; refuses a bad appid, redirect_uri or scope', async () => {
    const oa = s.creds.wxpay.apps.jsapi;
    const ok = { appid: oa.appId, redirect_uri: 'https://shop.example/pay?x=1', response_type: 'code', scope: 'snsapi_base', state: 's1' };
    const res = await authorize(ok);
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe('https://shop.example/pay');
    expect(back.searchParams.get('x')).toBe('1');
    expect(back.searchParams.get('state')).toBe('s1');
    const token = await wx('/sns/oauth2/access_token', { appid: oa.appId, secret: oa.appSecret, code: back.searchParams.get('code')!, grant_type: 'authorization_code' });
    expect(token.openid).toMatch(/^o[A-Za-z0-9]{27}$/);
    for (const bad of [{ appid: 'wx-nope' }, { redirect_uri: 'javascript:alert(1)' }, { response_type: 'token' }, { scope: 'all' }]) {
      expect((await authorize({ ...ok, ...bad })).status, JSON.stringify(bad)).toBe(400);
    }
  });
});

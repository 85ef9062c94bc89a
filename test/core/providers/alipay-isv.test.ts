/**
 * The Alipay provider in third-party app mode against a recording gateway (providers/alipay/{transport,login,
 * provider,definition}.ts; docs/PROTOCOLS.md section 4): the auth-code exchange carries the merchant's
 * app_auth_token, signed, and answers for the merchant's mini program; mp orders name that mini program as
 * op_app_id and its payer as op_buyer_open_id.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createAlipayProvider, definitionOf, type AlipayConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { verifyAlipayParams } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import { startFixture, type Fixture } from './gateway-fixture';
import { alipayKeys, answer, APP_ID, appKeys, biz, paramsOf, requestVerifies, SELLER_ID } from './alipay-fixture';

let gw: Fixture;
beforeAll(async () => { gw = await startFixture(); });
afterAll(async () => { await gw.close(); });
beforeEach(() => { gw.seen.length = 0; });

const TOKEN = '202512BBabcdef0123456789abcdef012345';
const MERCHANT_APP = '2021000000007777';
const OPEN_ID = '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5';
const http = createFetchHttpClient();
const isv = (over: Partial<AlipayConfig> = {}): AlipayConfig => ({
  appId: APP_ID, sellerId: SELLER_ID, appPrivateKeyPem: appKeys.privateKeyPem, alipayPublicKeyPem: alipayKeys.publicKeyPem,
  gatewayUrl: `${gw.origin}/gateway.do`, retry: { baseDelayMs: 5, maxDelayMs: 20 }, appAuthToken: TOKEN, authAppId: MERCHANT_APP, ...over,
});
const provider = (over: Partial<AlipayConfig> = {}) => createAlipayProvider(isv(over), { http, budgetMs: 3000, timeoutMs: 1000 });
const mpOrder = (openid: string) => ({
  out_trade_no: 'VK20260101000009', amount: 1500, subject: 'VIP month', pay_type: 'mp' as const, openid,
  notify_url: 'https://example.com/http/vk-pay-notify/alipay', expires_at: Date.UTC(2026, 0, 1, 4, 0, 0),
});
/** Answers only a request signed by the app and carrying the merchant's token. */
const withToken = (method: string, json: object) => (req: any) =>
  requestVerifies(req) && paramsOf(req).method === method && paramsOf(req).app_auth_token === TOKEN
    ? answer(method, JSON.stringify(json))
    : answer(method, '{"code":"20001","msg":"Insufficient Token Permissions","sub_code":"aop.invalid-app-auth-token","sub_msg":"无效的应用授权令牌"}');

describe('alipay.system.oauth.token for a merchant that authorised the app', () => {
  it('sends the merchant\'s app_auth_token in the signed URL parameters and answers for the merchant\'s mini program', async () => {
    gw.handle(withToken('alipay.system.oauth.token', { access_token: 'authusrB01', expires_in: 1296000, refresh_token: 'authusrB02', re_expires_in: 2592000, open_id: OPEN_ID }));
    expect(await provider().exchangeLoginCode!({ pay_type: 'mp', code: 'c0ffee' })).toEqual({ openid: OPEN_ID, app_id: MERCHANT_APP });
    const [seen] = gw.seen;
    const q = new URL(seen.url, 'http://x').searchParams;
    expect(q.get('app_auth_token')).toBe(TOKEN);
    expect(q.get('app_id')).toBe(APP_ID);
    // the token is signed with the rest: another token (or none) breaks the signature
    const p = paramsOf(seen);
    expect(p).toMatchObject({ method: 'alipay.system.oauth.token', grant_type: 'authorization_code', code: 'c0ffee' });
    expect(verifyAlipayParams(p, appKeys.publicKeyPem)).toBe(true);
    expect(verifyAlipayParams({ ...p, app_auth_token: `${TOKEN.slice(0, -1)}6` }, appKeys.publicKeyPem)).toBe(false);
    const { app_auth_token: _t, ...without } = p;
    expect(verifyAlipayParams(without, appKeys.publicKeyPem)).toBe(false);
  });

  it('a direct app exchanges for itself, without a token', async () => {
    gw.handle(() => answer('alipay.system.oauth.token', JSON.stringify({ access_token: 'a', expires_in: 1, refresh_token: 'r', re_expires_in: 1, open_id: OPEN_ID })));
    expect(await provider({ appAuthToken: undefined, authAppId: undefined }).exchangeLoginCode!({ pay_type: 'mp', code: 'c0ffee' })).toEqual({ openid: OPEN_ID, app_id: APP_ID });
    expect(paramsOf(gw.seen[0])).not.toHaveProperty('app_auth_token');
  });
});

describe('alipay mp orders for a merchant that authorised the app', () => {
  const created = withToken('alipay.trade.create', { code: '10000', msg: 'Success', out_trade_no: 'VK20260101000009', trade_no: '2026010122001400000000000009' });

  it('op_app_id = the merchant\'s mini program (auth_app_id, or mpAppId when set); its open_id as op_buyer_open_id', async () => {
    gw.handle(created);
    expect((await provider().createOrder(mpOrder(OPEN_ID))).payment).toEqual({ kind: 'trade_no', trade_no: '2026010122001400000000000009' });
    const sent = biz(gw.seen[0]);
    expect(sent).toMatchObject({ product_code: 'JSAPI_PAY', op_app_id: MERCHANT_APP, op_buyer_open_id: OPEN_ID });
    expect(sent).not.toHaveProperty('buyer_open_id');
    await provider({ mpAppId: '2021000000008888' }).createOrder(mpOrder(OPEN_ID));
    expect(biz(gw.seen[1])).toMatchObject({ op_app_id: '2021000000008888', op_buyer_open_id: OPEN_ID });
    // a user_id (2088...) is the person's under every app
    await provider().createOrder(mpOrder('2088102534368455'));
    expect(biz(gw.seen[2])).toMatchObject({ op_app_id: MERCHANT_APP, buyer_id: '2088102534368455' });
    expect(biz(gw.seen[2])).not.toHaveProperty('op_buyer_open_id');
  });

  it('a gateway that sees no mini program in the order (ACQ.OPEN_ID_NOT_TINY_APP) is a configuration error, 40003', async () => {
    gw.handle(() => answer('alipay.trade.create', '{"code":"40004","msg":"Business Failed","sub_code":"ACQ.OPEN_ID_NOT_TINY_APP","sub_msg":"请求的应用id非小程序应用类型"}'));
    await expect(provider().createOrder(mpOrder(OPEN_ID))).rejects.toMatchObject({ code: 40003, providerCode: 'ACQ.OPEN_ID_NOT_TINY_APP' });
    expect(gw.seen).toHaveLength(1);
  });

  it('a direct app keeps buyer_open_id, with op_app_id only when mpAppId is set', async () => {
    gw.handle(() => answer('alipay.trade.create', JSON.stringify({ code: '10000', msg: 'Success', trade_no: '2026010122001400000000000010' })));
    const direct = { appAuthToken: undefined, authAppId: undefined };
    await provider(direct).createOrder(mpOrder(OPEN_ID));
    expect(biz(gw.seen[0])).toEqual(expect.objectContaining({ buyer_open_id: OPEN_ID }));
    expect(biz(gw.seen[0])).not.toHaveProperty('op_app_id');
    await provider({ ...direct, mpAppId: '2021000000008888' }).createOrder(mpOrder(OPEN_ID));
    expect(biz(gw.seen[1])).toMatchObject({ op_app_id: '2021000000008888', buyer_open_id: OPEN_ID });
  });

  it('the payer app the core stores openids under follows the same rule', () => {
    const payerAppId = definitionOf('alipay').payerAppId!;
    const section = { appId: APP_ID, app: { privateKeyPem: appKeys.privateKeyPem }, alipay: { publicKeyPem: alipayKeys.publicKeyPem }, gatewayUrl: 'https://openapi.alipay.com/gateway.do' };
    expect(payerAppId(section as never, 'mp')).toBe(APP_ID);
    expect(payerAppId({ ...section, mpAppId: '2021000000008888' } as never, 'mp')).toBe(APP_ID);
    expect(payerAppId({ ...section, app_auth_token: TOKEN, auth_app_id: MERCHANT_APP } as never, 'mp')).toBe(MERCHANT_APP);
    expect(payerAppId({ ...section, app_auth_token: TOKEN, auth_app_id: MERCHANT_APP, mpAppId: '2021000000008888' } as never, 'mp')).toBe('2021000000008888');
  });
});

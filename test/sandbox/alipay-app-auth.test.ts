/**
 * Third-party app mode at the sandbox's Alipay gateway (sandbox/alipay/app-auth.ts, docs/PROTOCOLS.md section 4):
 * alipay.system.oauth.token redeems a code for the app the call acts for - with an app_auth_token the authorising
 * merchant's mini program - and a mini-program order (trade.create, JSAPI_PAY) for a merchant must name that mini
 * program as op_app_id and a payer of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipayCall, control, startSandbox, tradeNo, type RawResponse, type RunningSandbox } from './helpers';

let s: RunningSandbox;
beforeAll(async () => { s = await startSandbox(); });
afterAll(async () => { await s.close(); });

const merchant = (i: number) => s.creds.alipayAuthorizations[i];
const token = (i: number) => ({ app_auth_token: merchant(i).appAuthToken });

async function code(appid: string, user = 'dora'): Promise<string> {
  const r = await control(s, 'login-code', { provider: 'alipay', appid, user });
  expect(r.status).toBe(200);
  expect(r.json().appid).toBe(appid);
  return r.json().code;
}

const exchange = (c: string, extra: Record<string, string> = {}) =>
  alipayCall(s, 'alipay.system.oauth.token', {}, { extra: { grant_type: 'authorization_code', code: c, ...extra } }).then((r) => r.json());
const CODE_INVALID = { code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.code-invalid', sub_msg: '授权码code无效' };

function createReply(r: RawResponse): Record<string, any> {
  return r.json().alipay_trade_create_response;
}

describe('alipay.system.oauth.token in third-party app mode', () => {
  it('a code of the merchant\'s mini program is redeemed only with that merchant\'s app_auth_token', async () => {
    const c = await code(merchant(0).authAppId);
    // without a token the call acts for the third-party app itself, with another merchant's for that merchant
    expect((await exchange(c)).error_response).toEqual(CODE_INVALID);
    expect((await exchange(c, token(1))).error_response).toEqual(CODE_INVALID);
    // a token the app does not hold is refused before the code is looked at
    expect((await exchange(c, { app_auth_token: '202512BBnot-a-token-of-this-app-000000' })).alipay_system_oauth_token_response)
      .toMatchObject({ code: '20001', sub_code: 'aop.invalid-app-auth-token' });
    // none of the refusals spent the code
    const ok = (await exchange(c, token(0))).alipay_system_oauth_token_response;
    expect(ok).toMatchObject({ open_id: expect.stringMatching(/^0[A-Za-z0-9]{46}$/) });
    expect(ok).not.toHaveProperty('code');
    expect((await exchange(c, token(0))).error_response).toEqual(CODE_INVALID);
    // the same person has another open_id under the app's own mini program
    const own = (await exchange(await code(s.creds.alipay.appId))).alipay_system_oauth_token_response;
    expect(own.open_id).toMatch(/^0[A-Za-z0-9]{46}$/);
    expect(own.open_id).not.toBe(ok.open_id);
    // and the app's own code is not the merchant's to redeem
    expect((await exchange(await code(s.creds.alipay.appId), token(0))).error_response).toEqual(CODE_INVALID);
  });
});

describe('alipay.trade.create for a merchant\'s mini program (JSAPI_PAY)', () => {
  const mpOrder = (extra: Record<string, unknown>, no = tradeNo('M')) =>
    ({ out_trade_no: no, total_amount: '1.00', subject: '会员', product_code: 'JSAPI_PAY', ...extra });
  const openidOf = async (appid: string, tok?: Record<string, string>) =>
    (await exchange(await code(appid, 'erin'), tok)).alipay_system_oauth_token_response.open_id as string;

  it('names the merchant\'s mini program and a payer of it; anything else is refused and nothing is booked', async () => {
    const m = merchant(0);
    const payer = await openidOf(m.authAppId, token(0));
    const ownPayer = await openidOf(s.creds.alipay.appId);
    const refused: Array<[Record<string, unknown>, Record<string, string>]> = [
      // no op_app_id: the order would be the third-party app's, which is no mini program
      [{ op_buyer_open_id: payer }, { sub_code: 'ACQ.OPEN_ID_NOT_TINY_APP', sub_msg: '请求的应用id非小程序应用类型' }],
      [{ op_app_id: merchant(1).authAppId, op_buyer_open_id: payer }, { sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效: op_app_id不是授权商户的小程序' }],
      // a payer of the app's own mini program is nobody in the merchant's
      [{ op_app_id: m.authAppId, op_buyer_open_id: ownPayer }, { sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效: op_buyer_open_id与op_app_id不匹配' }],
      // the merchant's payer sent as the calling app's (buyer_open_id)
      [{ op_app_id: m.authAppId, buyer_open_id: payer }, { sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效: buyer_open_id与app_id不匹配' }],
    ];
    for (const [extra, want] of refused) {
      const no = tradeNo('M');
      const r = createReply(await alipayCall(s, 'alipay.trade.create', mpOrder(extra, no), { extra: token(0) }));
      expect(r, JSON.stringify(extra)).toMatchObject({ code: '40004', msg: 'Business Failed', ...want });
      expect(s.sandbox.control.order('alipay', no)).toBeUndefined();
    }
    const no = tradeNo('M');
    const r = createReply(await alipayCall(s, 'alipay.trade.create', mpOrder({ op_app_id: m.authAppId, op_buyer_open_id: payer }, no), { extra: token(0) }));
    expect(r).toMatchObject({ code: '10000', out_trade_no: no, trade_no: expect.any(String) });
    expect(s.sandbox.control.order('alipay', no)).toMatchObject({ auth_app_id: m.authAppId, merchant_id: m.sellerId, payer_id: payer });
    // a 2088 user_id is the person's under every app: no ownership to check
    const byUserId = createReply(await alipayCall(s, 'alipay.trade.create', mpOrder({ op_app_id: m.authAppId, buyer_id: '2088102534368455' }), { extra: token(0) }));
    expect(byUserId).toMatchObject({ code: '10000' });
  });

  it('the app\'s own mini-program orders keep paying with its own payers, and refuse a merchant\'s', async () => {
    const own = await openidOf(s.creds.alipay.appId);
    expect(createReply(await alipayCall(s, 'alipay.trade.create', mpOrder({ buyer_open_id: own })))).toMatchObject({ code: '10000' });
    const theirs = await openidOf(merchant(0).authAppId, token(0));
    expect(createReply(await alipayCall(s, 'alipay.trade.create', mpOrder({ buyer_open_id: theirs }))))
      .toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效: buyer_open_id与app_id不匹配' });
  });
});

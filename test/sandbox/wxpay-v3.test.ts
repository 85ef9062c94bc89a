import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildV3ResponseMessage, verifySha256Rsa } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import { control, startSandbox, tradeNo, v3Call, type RawResponse, type RunningSandbox } from './helpers';

let s: RunningSandbox;
beforeAll(async () => { s = await startSandbox(); });
afterAll(async () => { await s.close(); });

function expectSignedByPlatform(r: RawResponse): void {
  expect(r.headers['wechatpay-serial']).toBe(s.creds.wxpay.platform.publicKeyId);
  const msg = buildV3ResponseMessage(r.headers['wechatpay-timestamp'], r.headers['wechatpay-nonce'], r.text);
  expect(verifySha256Rsa(msg, r.headers['wechatpay-signature'], s.creds.wxpay.platform.publicKeyPem)).toBe(true);
}

function order(no: string, kind: 'native' | 'jsapi' | 'h5' | 'app' = 'native', total = 100) {
  const body: Record<string, unknown> = {
    appid: s.creds.wxpay.appId, mchid: s.creds.wxpay.mchId, description: 'VIP 月卡', out_trade_no: no,
    notify_url: 'http://127.0.0.1:9/notify', amount: { total, currency: 'CNY' },
  };
  if (kind === 'jsapi') body.payer = { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' };
  if (kind === 'h5') body.scene_info = { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } };
  return v3Call(s, 'POST', `/v3/pay/transactions/${kind}`, body);
}

const query = (no: string) => v3Call(s, 'GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${s.creds.wxpay.mchId}`);
const refund = (no: string, refundNo: string, amount: number, total = 100) =>
  v3Call(s, 'POST', '/v3/refund/domestic/refunds', { out_trade_no: no, out_refund_no: refundNo, amount: { refund: amount, total, currency: 'CNY' } });

describe('wxpay v3 gateway: signatures', () => {
  it('answers each order kind with its own field, signed with the platform key', async () => {
    const native = await order(tradeNo(), 'native');
    expect(native.status).toBe(200);
    expect(native.json().code_url).toContain('/sandbox/cashier/wxpay/');
    expectSignedByPlatform(native);
    expect((await order(tradeNo(), 'jsapi')).json().prepay_id).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    expect((await order(tradeNo(), 'app')).json().prepay_id).toMatch(/^wx/);
    expect((await order(tradeNo(), 'h5')).json().h5_url).toContain('/sandbox/cashier/wxpay/');
  });

  it('refuses a request signed with another key: 401 SIGN_ERROR, itself signed', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const r = await v3Call(s, 'GET', `/v3/pay/transactions/out-trade-no/X123456?mchid=${s.creds.wxpay.mchId}`, undefined, { key: other });
    expect(r.status).toBe(401);
    expect(r.json().code).toBe('SIGN_ERROR');
    expectSignedByPlatform(r);
  });

  it('verifies the path exactly as received (the /sandbox/wxpay prefix is part of the signed URL)', async () => {
    const no = tradeNo();
    const r = await v3Call(s, 'GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${s.creds.wxpay.mchId}`, undefined, {
      signPath: `/v3/pay/transactions/out-trade-no/${no}?mchid=${s.creds.wxpay.mchId}`,
    });
    expect(r.status).toBe(401);
    expect(r.json().code).toBe('SIGN_ERROR');
  });

  it('refuses a body changed after signing, a stale timestamp and a missing Authorization', async () => {
    const no = tradeNo();
    const body = { appid: s.creds.wxpay.appId, mchid: s.creds.wxpay.mchId, description: 'x', out_trade_no: no, notify_url: 'http://127.0.0.1:9/n', amount: { total: 1 } };
    const changed = await v3Call(s, 'POST', '/v3/pay/transactions/native', body, { bodyAfterSigning: JSON.stringify({ ...body, amount: { total: 2 } }) });
    expect([changed.status, changed.json().code]).toEqual([401, 'SIGN_ERROR']);
    const stale = await v3Call(s, 'POST', '/v3/pay/transactions/native', body, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect([stale.status, stale.json().code]).toEqual([401, 'SIGN_ERROR']);
    const bare = await fetch(`${s.base}/sandbox/wxpay/v3/pay/transactions/native`, { method: 'POST', body: JSON.stringify(body) });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as any).code).toBe('SIGN_ERROR');
    expect((await query(no)).status).toBe(404);
  });

  it('answers malformed JSON and missing fields with 400 PARAM_ERROR', async () => {
    const bad = await v3Call(s, 'POST', '/v3/pay/transactions/native', undefined, { bodyAfterSigning: '' });
    expect(bad.status).toBe(400);
    const r = await v3Call(s, 'POST', '/v3/pay/transactions/jsapi', { appid: s.creds.wxpay.appId, mchid: s.creds.wxpay.mchId, description: 'x', out_trade_no: tradeNo(), notify_url: 'http://a/b', amount: { total: 1 } });
    expect([r.status, r.json().code]).toEqual([400, 'PARAM_ERROR']);
    expect(r.json().message).toContain('payer/openid');
  });
});

describe('wxpay v3 gateway: order and refund rules', () => {
  it('query: unknown -> 404 ORDER_NOT_EXIST; created -> NOTPAY; paid -> SUCCESS with the transaction', async () => {
    const missing = await query('NOPE000001');
    expect([missing.status, missing.json().code]).toEqual([404, 'ORDER_NOT_EXIST']);
    const no = tradeNo();
    await order(no, 'jsapi', 250);
    expect((await query(no)).json().trade_state).toBe('NOTPAY');
    expect((await control(s, 'pay', { channel: 'wxpay', out_trade_no: no, outcome: 'success' })).status).toBe(200);
    const paid = (await query(no)).json();
    expect(paid).toMatchObject({ trade_state: 'SUCCESS', trade_type: 'JSAPI', amount: { total: 250, payer_total: 250 }, payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } });
    expect(paid.transaction_id).toMatch(/^4200\d{24}$/);
  });

  it('paying twice, re-ordering a paid order, reusing a number with other content', async () => {
    const no = tradeNo();
    await order(no, 'native', 100);
    const conflict = await order(no, 'native', 101);
    expect([conflict.status, conflict.json().code]).toEqual([403, 'OUT_TRADE_NO_USED']);
    expect((await order(no, 'native', 100)).status).toBe(200); // same content again: fine
    await control(s, 'pay', { channel: 'wxpay', out_trade_no: no });
    const twice = await control(s, 'pay', { channel: 'wxpay', out_trade_no: no });
    expect([twice.status, twice.json().code]).toEqual([409, 'ORDERPAID']);
    const again = await order(no, 'native', 100);
    expect([again.status, again.json().code]).toEqual([400, 'ORDERPAID']);
  });

  it('close: unpaid -> 204 then CLOSED (closing again is fine); paid -> ORDERPAID', async () => {
    const no = tradeNo();
    await order(no);
    const close = () => v3Call(s, 'POST', `/v3/pay/transactions/out-trade-no/${no}/close`, { mchid: s.creds.wxpay.mchId });
    const first = await close();
    expect([first.status, first.text]).toEqual([204, '']);
    expectSignedByPlatform(first);
    expect((await close()).status).toBe(204);
    expect((await query(no)).json().trade_state).toBe('CLOSED');
    expect((await control(s, 'pay', { channel: 'wxpay', out_trade_no: no })).json().code).toBe('ORDER_CLOSED');
    const paidNo = tradeNo();
    await order(paidNo);
    await control(s, 'pay', { channel: 'wxpay', out_trade_no: paidNo });
    const r = await v3Call(s, 'POST', `/v3/pay/transactions/out-trade-no/${paidNo}/close`, { mchid: s.creds.wxpay.mchId });
    expect([r.status, r.json().code]).toEqual([400, 'ORDERPAID']);
  });

  it('refunds: over-refund, reused out_refund_no with another amount, idempotent retry, PROCESSING then SUCCESS', async () => {
    const unknown = await refund('NOPE000002', tradeNo('R'), 1);
    expect([unknown.status, unknown.json().code]).toEqual([404, 'RESOURCE_NOT_EXISTS']);
    const no = tradeNo();
    await order(no, 'native', 100);
    expect((await refund(no, tradeNo('R'), 10)).json().code).toBe('TRADE_ERROR'); // unpaid
    await control(s, 'pay', { channel: 'wxpay', out_trade_no: no });
    const over = await refund(no, tradeNo('R'), 101);
    expect([over.status, over.json().code]).toEqual([400, 'INVALID_REQUEST']);
    const rn = tradeNo('R');
    const first = await refund(no, rn, 60);
    expect(first.status).toBe(200);
    expect(first.json()).toMatchObject({ status: 'PROCESSING', out_refund_no: rn, amount: { refund: 60, total: 100 } });
    const retry = await refund(no, rn, 60);
    expect(retry.json().refund_id).toBe(first.json().refund_id);
    const other = await refund(no, rn, 50);
    expect([other.status, other.json().code]).toEqual([400, 'INVALID_REQUEST']);
    const rest = await refund(no, tradeNo('R'), 41);
    expect(rest.json().code).toBe('INVALID_REQUEST'); // 60 + 41 > 100
    expect((await query(no)).json().trade_state).toBe('REFUND');
    await new Promise((r) => setTimeout(r, 20)); // settles after 3 s x timeFactor 0.001
    const q = await v3Call(s, 'GET', `/v3/refund/domestic/refunds/${rn}`);
    expect(q.json()).toMatchObject({ status: 'SUCCESS', refund_id: first.json().refund_id });
    expect(q.json().success_time).toMatch(/\+08:00$/);
    expect((await v3Call(s, 'GET', '/v3/refund/domestic/refunds/NOPE')).json().code).toBe('RESOURCE_NOT_EXISTS');
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractJsonObjectText, verifyAlipayResponse } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import { alipayCall, control, startSandbox, tradeNo, type RawResponse, type RunningSandbox } from './helpers';

let s: RunningSandbox;
beforeAll(async () => { s = await startSandbox(); });
afterAll(async () => { await s.close(); });

function body(r: RawResponse, method: string): any {
  const key = `${method.replace(/\./g, '_')}_response`;
  const json = r.json();
  // Every answer for a known method is signed over the raw text of its response object.
  expect(verifyAlipayResponse(r.text, key, json.sign, s.creds.alipay.alipay.publicKeyPem)).toBe(true);
  return json[key];
}

const precreate = (no: string, amount = '1.00') => alipayCall(s, 'alipay.trade.precreate', { out_trade_no: no, total_amount: amount, subject: '充值' });

describe('alipay gateway', () => {
  it('refuses a bad signature with 40002 isv.invalid-signature in the method response, signed', async () => {
    const r = await precreate(tradeNo(), '1.00').then(() => alipayCall(s, 'alipay.trade.query', { out_trade_no: 'x' }, { breakSign: true }));
    expect(body(r, 'alipay.trade.query')).toMatchObject({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature' });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const r2 = await alipayCall(s, 'alipay.trade.query', { out_trade_no: 'x' }, { key: other });
    expect(body(r2, 'alipay.trade.query').sub_code).toBe('isv.invalid-signature');
  });

  it('missing method -> error_response 40001; unknown app_id -> isv.invalid-app-id', async () => {
    const r = await fetch(`${s.base}/sandbox/alipay/gateway.do`, { method: 'POST' });
    expect(((await r.json()) as any).error_response).toMatchObject({ code: '40001', sub_code: 'isv.missing-method' });
    const bad = await alipayCall(s, 'alipay.trade.query', { out_trade_no: 'x' }, { extra: { app_id: '2021000000000000' } });
    expect(body(bad, 'alipay.trade.query').sub_code).toBe('isv.invalid-app-id');
  });

  it('precreate answers qr_code with escaped slashes; the sign covers the raw text', async () => {
    const no = tradeNo();
    const r = await precreate(no, '88.88');
    expect(r.text).toContain('http:\\/\\/127.0.0.1');
    const raw = extractJsonObjectText(r.text, 'alipay_trade_precreate_response');
    expect(raw).not.toBeNull();
    expect(body(r, 'alipay.trade.precreate')).toMatchObject({ code: '10000', out_trade_no: no });
  });

  it('query: ACQ.TRADE_NOT_EXIST, WAIT_BUYER_PAY, TRADE_SUCCESS with yuan amounts', async () => {
    expect(body(await alipayCall(s, 'alipay.trade.query', { out_trade_no: 'NOPE1' }), 'alipay.trade.query')).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
    const no = tradeNo();
    await precreate(no, '12.30');
    expect(body(await alipayCall(s, 'alipay.trade.query', { out_trade_no: no }), 'alipay.trade.query').trade_status).toBe('WAIT_BUYER_PAY');
    await control(s, 'pay', { channel: 'alipay', out_trade_no: no });
    expect(body(await alipayCall(s, 'alipay.trade.query', { out_trade_no: no }), 'alipay.trade.query'))
      .toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '12.30', buyer_pay_amount: '12.30' });
  });

  it('create for a paid order -> ACQ.TRADE_HAS_SUCCESS; other amount -> ACQ.CONTEXT_INCONSISTENT; close paid -> ACQ.TRADE_STATUS_ERROR', async () => {
    const no = tradeNo();
    await precreate(no, '1.00');
    expect(body(await precreate(no, '2.00'), 'alipay.trade.precreate').sub_code).toBe('ACQ.CONTEXT_INCONSISTENT');
    await control(s, 'pay', { channel: 'alipay', out_trade_no: no });
    expect(body(await precreate(no, '1.00'), 'alipay.trade.precreate').sub_code).toBe('ACQ.TRADE_HAS_SUCCESS');
    expect(body(await alipayCall(s, 'alipay.trade.close', { out_trade_no: no }), 'alipay.trade.close').sub_code).toBe('ACQ.TRADE_STATUS_ERROR');
    const open = tradeNo();
    await precreate(open);
    expect(body(await alipayCall(s, 'alipay.trade.close', { out_trade_no: open }), 'alipay.trade.close').code).toBe('10000');
    expect(body(await alipayCall(s, 'alipay.trade.query', { out_trade_no: open }), 'alipay.trade.query').trade_status).toBe('TRADE_CLOSED');
    expect(body(await alipayCall(s, 'alipay.trade.close', { out_trade_no: 'NOPE2' }), 'alipay.trade.close').sub_code).toBe('ACQ.TRADE_NOT_EXIST');
  });

  it('refund: over-refund -> ACQ.REFUND_AMT_NOT_EQUAL_TOTAL; same out_request_no -> fund_change N; refund query', async () => {
    const no = tradeNo();
    await precreate(no, '10.00');
    await control(s, 'pay', { channel: 'alipay', out_trade_no: no });
    const refund = (req: string, amount: string) => alipayCall(s, 'alipay.trade.refund', { out_trade_no: no, refund_amount: amount, out_request_no: req });
    expect(body(await refund('r1', '10.01'), 'alipay.trade.refund').sub_code).toBe('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL');
    expect(body(await refund('r1', '4.00'), 'alipay.trade.refund')).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '4.00' });
    expect(body(await refund('r1', '4.00'), 'alipay.trade.refund')).toMatchObject({ code: '10000', fund_change: 'N' });
    expect(body(await refund('r1', '5.00'), 'alipay.trade.refund').code).toBe('40004');
    expect(body(await refund('r2', '6.01'), 'alipay.trade.refund').sub_code).toBe('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL');
    const q = body(await alipayCall(s, 'alipay.trade.fastpay.refund.query', { out_trade_no: no, out_request_no: 'r1' }), 'alipay.trade.fastpay.refund.query');
    expect(q).toMatchObject({ code: '10000', refund_status: 'REFUND_SUCCESS', refund_amount: '4.00', total_amount: '10.00' });
    const none = body(await alipayCall(s, 'alipay.trade.fastpay.refund.query', { out_trade_no: no, out_request_no: 'nope' }), 'alipay.trade.fastpay.refund.query');
    expect(none.code).toBe('10000');
    expect(none.refund_status).toBeUndefined();
  });

  it('wap.pay opened in a browser creates the order and sends the person to the cashier', async () => {
    const no = tradeNo();
    const r = await alipayCall(s, 'alipay.trade.wap.pay', { out_trade_no: no, total_amount: '3.00', subject: 'x', product_code: 'QUICK_WAP_WAY' }, { extra: { return_url: 'http://127.0.0.1:9/done' } });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`${s.base}/sandbox/cashier/alipay/${no}`);
    const bad = await alipayCall(s, 'alipay.trade.page.pay', { out_trade_no: tradeNo(), total_amount: '3.00', subject: 'x' }, { breakSign: true });
    expect(bad.status).toBe(200);
    expect(bad.text).toContain('isv.invalid-signature');
  });
});

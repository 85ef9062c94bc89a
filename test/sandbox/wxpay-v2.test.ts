import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyV2 } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/signing';
import { control, startSandbox, tradeNo, v2Call, type RunningSandbox } from './helpers';

let s: RunningSandbox;
beforeAll(async () => { s = await startSandbox(); });
afterAll(async () => { await s.close(); });

const unified = (no: string, extra: Record<string, string | number> = {}) => v2Call(s, '/pay/unifiedorder', {
  body: '充值', out_trade_no: no, total_fee: 100, spbill_create_ip: '127.0.0.1', notify_url: 'http://127.0.0.1:9/n',
  trade_type: 'NATIVE', product_id: 'p1', ...extra,
});

describe('wxpay v2 gateway', () => {
  it('refuses a wrong signature with return_code FAIL 签名错误, and a non-XML body', async () => {
    const r = await v2Call(s, '/pay/orderquery', { out_trade_no: 'X1' }, 'MD5', 'k'.repeat(32));
    expect(r).toEqual({ return_code: 'FAIL', return_msg: '签名错误' });
    const text = await (await fetch(`${s.base}/sandbox/wxpay/pay/unifiedorder`, { method: 'POST', body: '{"not":"xml"}' })).text();
    expect(text).toContain('<return_code><![CDATA[FAIL]]></return_code>');
  });

  it('unifiedorder answers a signed prepay_id / code_url, in MD5 and HMAC-SHA256', async () => {
    const md5 = await unified(tradeNo());
    expect(md5).toMatchObject({ return_code: 'SUCCESS', result_code: 'SUCCESS', trade_type: 'NATIVE' });
    expect(md5.code_url).toContain('/sandbox/cashier/wxpay-v2/');
    expect(verifyV2(md5, s.creds.wxpay.apiV2Key, 'MD5')).toBe(true);
    const hmac = await v2Call(s, '/pay/unifiedorder', {
      body: 'x', out_trade_no: tradeNo(), total_fee: 1, spbill_create_ip: '127.0.0.1', notify_url: 'http://127.0.0.1:9/n', trade_type: 'JSAPI', openid: 'o1',
    }, 'HMAC-SHA256');
    expect(hmac.prepay_id).toMatch(/^wx/);
    expect(verifyV2(hmac, s.creds.wxpay.apiV2Key, 'HMAC-SHA256')).toBe(true);
    expect(verifyV2(hmac, s.creds.wxpay.apiV2Key, 'MD5')).toBe(false);
  });

  it('orderquery: ORDERNOTEXIST, NOTPAY, SUCCESS', async () => {
    expect((await v2Call(s, '/pay/orderquery', { out_trade_no: 'NOPE0001' })).err_code).toBe('ORDERNOTEXIST');
    const no = tradeNo();
    await unified(no);
    expect((await v2Call(s, '/pay/orderquery', { out_trade_no: no })).trade_state).toBe('NOTPAY');
    await control(s, 'pay', { channel: 'wxpay-v2', out_trade_no: no });
    const paid = await v2Call(s, '/pay/orderquery', { out_trade_no: no });
    expect(paid).toMatchObject({ result_code: 'SUCCESS', trade_state: 'SUCCESS', total_fee: '100' });
    expect(paid.time_end).toMatch(/^\d{14}$/);
  });

  it('ORDERPAID for a paid order re-ordered or closed; OUT_TRADE_NO_USED for other content; ORDERCLOSED twice', async () => {
    const no = tradeNo();
    await unified(no);
    expect((await unified(no, { total_fee: 99 })).err_code).toBe('OUT_TRADE_NO_USED');
    await control(s, 'pay', { channel: 'wxpay-v2', out_trade_no: no });
    expect((await unified(no)).err_code).toBe('ORDERPAID');
    const close = await v2Call(s, '/pay/closeorder', { out_trade_no: no });
    expect([close.return_code, close.result_code, close.err_code]).toEqual(['SUCCESS', 'FAIL', 'ORDERPAID']);
    const other = tradeNo();
    await unified(other);
    expect((await v2Call(s, '/pay/closeorder', { out_trade_no: other })).result_code).toBe('SUCCESS');
    expect((await v2Call(s, '/pay/closeorder', { out_trade_no: other })).err_code).toBe('ORDERCLOSED');
  });

  it('refund: over-refund and reused out_refund_no refused; retry answers the same refund; refundquery', async () => {
    const no = tradeNo();
    await unified(no);
    await control(s, 'pay', { channel: 'wxpay-v2', out_trade_no: no });
    const refund = (rn: string, fee: number) => v2Call(s, '/secapi/pay/refund', { out_trade_no: no, out_refund_no: rn, total_fee: 100, refund_fee: fee });
    expect((await refund(tradeNo('R'), 101)).err_code).toBe('INVALID_REQUEST');
    const rn = tradeNo('R');
    const ok = await refund(rn, 30);
    expect(ok).toMatchObject({ result_code: 'SUCCESS', refund_fee: '30', out_refund_no: rn });
    expect((await refund(rn, 30)).refund_id).toBe(ok.refund_id);
    expect((await refund(rn, 31)).err_code).toBe('INVALID_REQUEST');
    const q = await v2Call(s, '/pay/refundquery', { out_refund_no: rn });
    expect(q).toMatchObject({ result_code: 'SUCCESS', refund_count: '1', out_refund_no_0: rn, refund_fee_0: '30' });
    expect(['PROCESSING', 'SUCCESS']).toContain(q.refund_status_0);
    expect((await v2Call(s, '/pay/refundquery', { out_refund_no: 'NOPE' })).err_code).toBe('REFUNDNOTEXIST');
  });
});

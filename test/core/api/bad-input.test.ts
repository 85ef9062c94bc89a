/**
 * Every bad input is refused with its code from the error table, and nothing is written but one payment_errors
 * row (sanitised): no order, no counter, no log, no provider call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
const COLLECTIONS = ['payment_orders', 'payment_transactions', 'refund_records', 'payment_notifications', 'payment_logs', 'vk_pay_notify_rejections', 'vk_pay_rate_limits', 'vk_pay_points', 'vk_pay_alerts'];
beforeAll(async () => { h = await startHarness({ config: { maxAmount: 1_000_000 } }); });
afterAll(async () => { await h.close(); });

async function snapshot() {
  const out: Record<string, number> = {};
  for (const c of [...COLLECTIONS, 'payment_errors']) out[c] = (await all(h.t.db, c)).length;
  return out;
}

const ok = { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 };
const cases: Array<[string, string, Record<string, unknown>, { uid?: string; admin?: boolean } | undefined, number]> = [
  ['createPayment', 'no identity', ok, undefined, 40009],
  ['createPayment', 'provider missing', { ...ok, provider: undefined }, { uid: 'b' }, 40001],
  ['createPayment', 'unknown provider', { ...ok, provider: 'paypal' }, { uid: 'b' }, 40001],
  ['createPayment', 'pay_type not valid for the provider', { ...ok, pay_type: 'qr' }, { uid: 'b' }, 40001],
  ['createPayment', 'unknown order type', { ...ok, type: 'lottery' }, { uid: 'b' }, 40001],
  ['createPayment', 'amount 0', { ...ok, amount: 0 }, { uid: 'b' }, 40001],
  ['createPayment', 'negative amount', { ...ok, amount: -5 }, { uid: 'b' }, 40001],
  ['createPayment', 'amount not an integer of fen', { ...ok, amount: 10.5 }, { uid: 'b' }, 40001],
  ['createPayment', 'amount as a string', { ...ok, amount: '100' }, { uid: 'b' }, 40001],
  ['createPayment', 'amount over the maximum', { ...ok, type: 'custom', goods_id: 'x', amount: 1_000_001 }, { uid: 'b' }, 40001],
  ['createPayment', 'recharge amount over the type limit', { ...ok, amount: 500_001 }, { uid: 'b' }, 40001],
  ['createPayment', 'recharge without amount', { ...ok, amount: undefined }, { uid: 'b' }, 40001],
  ['createPayment', 'subject of 1 character', { ...ok, subject: 'x' }, { uid: 'b' }, 40001],
  ['createPayment', 'out_trade_no of 5 characters', { ...ok, out_trade_no: '12345' }, { uid: 'b' }, 40001],
  ['createPayment', 'out_trade_no with odd characters', { ...ok, out_trade_no: '123456;drop' }, { uid: 'b' }, 40001],
  ['createPayment', 'goods without goods_id', { ...ok, type: 'goods', amount: undefined }, { uid: 'b' }, 40001],
  ['createPayment', 'goods not in the catalog', { ...ok, type: 'goods', goods_id: 'yacht', amount: undefined }, { uid: 'b' }, 40001],
  ['createPayment', 'goods with a client amount', { ...ok, type: 'goods', goods_id: 'cup', amount: 1 }, { uid: 'b' }, 40001],
  ['createPayment', 'jsapi without openid', { ...ok, pay_type: 'jsapi' }, { uid: 'b' }, 40001],
  ['queryPayment', 'out_trade_no missing', {}, { uid: 'b' }, 40001],
  ['queryPayment', 'unknown order', { out_trade_no: '2026010102000000000000' }, { uid: 'b' }, 40005],
  ['closeOrder', 'unknown order', { out_trade_no: '2026010102000000000000' }, { uid: 'b' }, 40005],
  ['refund', 'not an admin', { out_trade_no: '2026010102000000000000', amount: 1 }, { uid: 'b' }, 40009],
  ['refund', 'amount missing', { out_trade_no: '2026010102000000000000' }, { admin: true }, 40001],
  ['refund', 'unknown order', { out_trade_no: '2026010102000000000000', amount: 1 }, { admin: true }, 40005],
  ['queryRefund', 'unknown refund', { out_refund_no: 'R20260101000000' }, { admin: true }, 40005],
  ['replayHooks', 'not an admin', { out_trade_no: '2026010102000000000000' }, { uid: 'b' }, 40009],
];

describe('bad input', () => {
  it.each(cases)('%s with %s -> its code, only a payment_errors row', async (method, _name, params, as, code) => {
    const before = await snapshot();
    await expect(h.call(method, params, as)).rejects.toMatchObject({ code });
    const after = await snapshot();
    expect(after).toEqual({ ...before, payment_errors: before.payment_errors + 1 });
  });

  it('a wrong admin token is refused (40009)', async () => {
    const req = { method: 'refund', clientInfo: { clientIP: '1.2.3.4', userAgent: 'x', source: 'http', requestId: 'r' }, httpInfo: { path: '/refund', httpMethod: 'POST', headers: { authorization: 'Bearer not-the-token-000000000000' }, queryStringParameters: {}, body: '', isBase64Encoded: false } };
    await expect(h.core.methods.refund({ out_trade_no: '2026010102000000000000', amount: 1 }, req)).rejects.toMatchObject({ code: 40009 });
  });

  it('errors are stored sanitised', async () => {
    await expect(h.call('createPayment', { ...ok, amount: 0, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', phone: '13812345678', apiKey: 'secret-secret' }, { uid: 'b' })).rejects.toMatchObject({ code: 40001 });
    const rows = await all(h.t.db, 'payment_errors');
    const last = rows[rows.length - 1];
    expect(last).toMatchObject({ code: 40001, action: 'createPayment' });
    expect(JSON.stringify(last.input)).not.toContain('oUpF8uMuAJO_M2pxb1Q9zNjWeS6o');
    expect(JSON.stringify(last.input)).not.toContain('13812345678');
    expect(JSON.stringify(last.input)).not.toContain('secret-secret');
    expect(last.stack).toBeTruthy();
  });
});

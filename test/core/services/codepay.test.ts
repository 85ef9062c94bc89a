/**
 * Payment codes scanned at a counter (pay_type codepay), through the real Alipay provider and the sandbox: paid
 * at once, or after the payer's password (WAIT_BUYER_PAY settled by querying on a schedule), or never confirmed
 * and reversed (alipay.trade.cancel) before the order closes; a bad code refused in the payer's words. No
 * notification comes: the query path pays the order through the one transition, and the business hook runs once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncTimerForCore } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync/for-core';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { countingHooks } from '../support/hooks';

let h: Harness;
afterEach(async () => { await h?.close(); });

const CODEPAY = { pollMs: 100, timeoutMs: 1_500 };
const pay = (auth_code: string, amount = 1234, uid = 'cashier') => h.call('createPayment', { provider: 'alipay', pay_type: 'codepay', type: 'recharge', amount, auth_code }, { uid });
const orderOf = async (no: string) => (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;

describe('Alipay payment codes', () => {
  it('a code that needs no password: paid within the call, by the query path, hook once', async () => {
    const hooks = countingHooks();
    h = await startHarness({ config: { codepay: CODEPAY }, deps: { hooks: { modules: hooks.modules } } });
    const { code: auth_code } = h.sandbox.control.authCode('alipay');
    const r = await pay(auth_code);
    expect(r).toMatchObject({ status: 'paid', payment: { kind: 'codepay', state: 'paid' }, amount: 1234 });
    expect(r.hookKeys).toBeUndefined();
    const order = await orderOf(r.out_trade_no);
    expect(order.history.map((e: { event: string; source: string }) => `${e.event}:${e.source}`)).toEqual(['pay:codepay']);
    expect(h.sandbox.control.order('alipay', r.out_trade_no)).toMatchObject({ status: 'SUCCESS', pay_type: 'bar_code' });
    expect(hooks.paidRuns).toBe(1);
    expect(h.received).toHaveLength(0); // no notification for a scanned code
  });

  it('a code that needs the payer\'s password: WAIT_BUYER_PAY, asked again until paid', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const { code: auth_code } = h.sandbox.control.authCode('alipay', { password: true });
    const r = await pay(auth_code, 500);
    expect(r).toMatchObject({ status: 'paid', payment: { state: 'paid' } });
    const queries = (await all(h.t.db, 'payment_logs')).filter((l) => l.type === 'query' && l.out_trade_no === r.out_trade_no);
    expect(queries.length).toBeGreaterThanOrEqual(1);
    // the pay call itself answered "waiting" (10003): the query paid it
    expect(await orderOf(r.out_trade_no)).toMatchObject({ status: 'paid', payment: { kind: 'codepay', state: 'paying' } });
  });

  it('never confirmed: reversed at Alipay first (trade.cancel), then closed here; no money kept', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const { code: auth_code } = h.sandbox.control.authCode('alipay', { password: true, confirm: 'never' });
    const r = await pay(auth_code, 700);
    expect(r).toMatchObject({ status: 'closed', payment: { kind: 'codepay', state: 'paying' } });
    expect(h.sandbox.control.order('alipay', r.out_trade_no)?.status).toBe('CLOSED');
    expect(await orderOf(r.out_trade_no)).toMatchObject({ status: 'closed', close_reason: 'expired' });
    const logs = (await all(h.t.db, 'payment_logs')).filter((l) => l.type === 'query' && l.out_trade_no === r.out_trade_no);
    expect(logs.length).toBeGreaterThan(2); // asked on the schedule before giving up
  });

  it('an instance that dies while the payer confirms: the timer reverses the order once it is due', async () => {
    h = await startHarness({ config: { codepay: CODEPAY }, deps: { sleep: () => Promise.reject(new Error('instance stopped')) } });
    const { code: auth_code } = h.sandbox.control.authCode('alipay', { password: true, confirm: 'never' });
    await expect(pay(auth_code, 300)).rejects.toThrow();
    const [order] = await all(h.t.db, 'payment_orders');
    expect(order.status).toBe('pending');
    const timer = createSyncTimerForCore(h.core.ctx, { settings: { staleMs: 0, recheckMs: 0 } });
    await timer.runSync({ now: order.expires_at + 1 });
    expect((await orderOf(order.out_trade_no)).status).toBe('closed');
    expect(h.sandbox.control.order('alipay', order.out_trade_no)?.status).toBe('CLOSED');
  });

  it('a code Alipay does not accept: refused with Alipay\'s words for the cashier, the order closed with them', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const err = await pay('280000000000000001').catch((e) => e);
    expect(err).toMatchObject({ code: 40001 });
    expect(String(err.message)).toContain('请顾客刷新付款码后重新收款');
    const [order] = await all(h.t.db, 'payment_orders');
    expect(order).toMatchObject({ status: 'closed', close_reason: 'create_failed', provider_state: 'ACQ.PAYMENT_AUTH_CODE_INVALID' });
    expect(order.provider_reason).toContain('刷新付款码');
  });

  it('a used code is refused for a second payment', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const { code: auth_code } = h.sandbox.control.authCode('alipay');
    const first = await pay(auth_code, 100);
    await expect(pay(auth_code, 200)).rejects.toMatchObject({ code: 40001 });
    expect(first.status).toBe('paid');
  });

  it.each([
    ['malformed code', { auth_code: '12345' }],
    ['a WeChat code for Alipay', { auth_code: '134567890123456789' }],
    ['codepay without a code', {}],
  ])('%s: refused before anything is stored', async (_n, extra) => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    await expect(h.call('createPayment', { provider: 'alipay', pay_type: 'codepay', type: 'recharge', amount: 100, ...extra }, { uid: 'c' })).rejects.toMatchObject({ code: 40001 });
    expect(await all(h.t.db, 'payment_orders')).toHaveLength(0);
  });

  it('a code with a pay type that scans nothing is refused', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const { code: auth_code } = h.sandbox.control.authCode('alipay');
    await expect(h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount: 100, auth_code }, { uid: 'c' })).rejects.toMatchObject({ code: 40001 });
  });

  it('POST /sandbox/control/auth-code hands out a code', async () => {
    h = await startHarness();
    const res = await fetch(`${h.base}/sandbox/control/auth-code`, { method: 'POST', body: JSON.stringify({ provider: 'alipay', password: true }) });
    const body = (await res.json()) as { auth_code: string; password: boolean };
    expect(body.auth_code).toMatch(/^28\d{16}$/);
    expect(body.password).toBe(true);
  });
});

describe('WeChat payment codes (v2 micropay, chosen for provider wxpay even when v3 serves the rest)', () => {
  const wxpay = (auth_code: string, amount = 888) => h.call('createPayment', { provider: 'wxpay', pay_type: 'codepay', type: 'recharge', amount, auth_code }, { uid: 'cashier' });

  it('paid at once through micropay; the order is a wxpay-v2 order paid by the query path', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const { code } = h.sandbox.control.authCode('wxpay');
    const r = await wxpay(code);
    expect(r).toMatchObject({ status: 'paid', payment: { kind: 'codepay', state: 'paid' } });
    expect(await orderOf(r.out_trade_no)).toMatchObject({ channel: 'wxpay-v2', provider: 'wxpay', status: 'paid' });
    expect(h.sandbox.control.order('wxpay-v2', r.out_trade_no)).toMatchObject({ status: 'SUCCESS', pay_type: 'MICROPAY' });
  });

  it('USERPAYING while the payer enters the password, then paid', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const { code } = h.sandbox.control.authCode('wxpay', { password: true });
    const r = await wxpay(code);
    expect(r.status).toBe('paid');
    expect((await orderOf(r.out_trade_no)).payment).toEqual({ kind: 'codepay', state: 'paying' });
  });

  it('never confirmed: reversed at WeChat, then closed here', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const { code } = h.sandbox.control.authCode('wxpay', { password: true, confirm: 'never' });
    const r = await wxpay(code);
    expect(r.status).toBe('closed');
    expect(h.sandbox.control.order('wxpay-v2', r.out_trade_no)?.status).toBe('CLOSED');
  });

  it('an expired code: refused with WeChat\'s words for the payer', async () => {
    h = await startHarness({ config: { codepay: CODEPAY } });
    const err = await wxpay('134567890123456789').catch((e) => e);
    expect(err).toMatchObject({ code: 40001 });
    expect(String(err.message)).toContain('请用户在微信上刷新后再试');
    expect((await all(h.t.db, 'payment_orders'))[0]).toMatchObject({ status: 'closed', provider_state: 'AUTHCODEEXPIRE' });
  });
});

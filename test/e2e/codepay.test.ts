/**
 * Payment codes end to end through the real local host (built cloud functions, the local config, the sandbox):
 * a cashier signed in as a user scans the code a payer's phone shows (POST /sandbox/control/auth-code) and
 * createPayment settles it - at once, or after the payer's password (USERPAYING for a few seconds, asked again
 * on the schedule). No notification is involved: the query path pays the order once.
 */
import { describe, expect, it } from 'vitest';
import { useRunningHost } from '../local/running-host';

const local = useRunningHost('vkpay-e2e-codepay-');
const { post, find } = local;

describe('payment codes through the local host', () => {
  it.each([['alipay', false], ['wxpay', true]] as const)('%s code (password: %s) -> paid by the query path, points credited once', async (provider, password) => {
    const login = await post('/__dev/login', { uid: `cashier-${provider}` });
    const code = await post('/sandbox/control/auth-code', { provider, password });
    expect(code.json.auth_code).toMatch(/^\d{18}$/);
    const r = await post('/http/vk-pay-co/createPayment', { provider, pay_type: 'codepay', type: 'recharge', amount: 321, auth_code: code.json.auth_code }, { 'uni-id-token': login.json.token });
    expect(r.json).toMatchObject({ code: 0, data: { status: 'paid', payment: { kind: 'codepay', state: 'paid' } } });
    const [order] = await find('payment_orders', { out_trade_no: r.json.data.out_trade_no });
    expect(order.history.filter((e: any) => e.event === 'pay')).toHaveLength(1);
    expect(order.history[0].source).toBe('codepay');
    await expect.poll(async () => (await find('vk_pay_points', { user_id: `cashier-${provider}` }))[0]?.points, { timeout: 10_000 }).toBe(321);
  }, 60_000);

  it('a used code cannot pay a second order: refused in the cashier\'s words, one payment', async () => {
    const login = await post('/__dev/login', { uid: 'cashier-twice' });
    const code = await post('/sandbox/control/auth-code', { provider: 'alipay' });
    const body = { provider: 'alipay', pay_type: 'codepay', type: 'recharge', amount: 50, auth_code: code.json.auth_code };
    const first = await post('/http/vk-pay-co/createPayment', body, { 'uni-id-token': login.json.token });
    expect(first.json.data.status).toBe('paid');
    const other = await post('/http/vk-pay-co/createPayment', { ...body, amount: 60 }, { 'uni-id-token': login.json.token });
    expect(other.json).toMatchObject({ code: 40001 });
    expect(String(other.json.msg)).toContain('刷新付款码');
    expect((await find('payment_orders', { user_id: 'cashier-twice', status: 'paid' }))).toHaveLength(1);
  }, 60_000);
});

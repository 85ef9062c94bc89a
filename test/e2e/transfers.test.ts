/**
 * Payouts end to end through the real local host (built cloud functions, embedded database, sandbox gateway,
 * HTTP routes): an admin's WeChat transfer waits for the payee, the payee confirms, the sandbox's transfer
 * notification reaches /http/vk-pay-notify/wxpay-transfer and is applied once even when duplicated; a transfer
 * call the gateway never answers is settled by the timer querying the same out_bill_no; an Alipay transfer is
 * paid synchronously; a transfer without the admin's identity is refused and nothing reaches the gateway.
 */
import { describe, expect, it } from 'vitest';
import { useRunningHost } from '../local/running-host';
import { waitFor } from '../support/wait';

const local = useRunningHost('vkpay-e2e-transfers-');
const { post, find } = local;

const admin = () => ({ authorization: `Bearer ${local.host.adminToken}` });
const transfersAt = async (channel: string) => (await post('/sandbox/control/transfers', { channel })).json.transfers as any[];

describe('payouts through the local host', () => {
  it('WeChat: waiting for the payee -> confirmed -> duplicated notification applied once -> one payout', async () => {
    await post('/sandbox/control/faults', { channel: 'wxpay', duplicate: 2 });
    const started = await post('/http/vk-pay-co/transfer', { provider: 'wxpay', out_bill_no: 'E2EPAYOUT1', amount: 1500, openid: 'oE2ePayee000000000000001', remark: '提现', user_id: 'e2e-user' }, admin());
    expect(started.json).toMatchObject({ code: 0, data: { status: 'waiting_user', confirm: { package: expect.any(String) } } });

    const confirmed = await post('/sandbox/control/transfer-confirm', { out_bill_no: 'E2EPAYOUT1' });
    expect(confirmed.status).toBe(200);
    await waitFor(async () => (await find('payment_transfers', { out_bill_no: 'E2EPAYOUT1' }))[0]?.status === 'succeeded');
    await waitFor(async () => (await find('payment_logs', { type: 'notify' })).filter((l) => l.detail?.out_bill_no === 'E2EPAYOUT1').length === 3);
    const [t] = await find('payment_transfers', { out_bill_no: 'E2EPAYOUT1' });
    expect(t.history.filter((e: any) => e.to === 'succeeded')).toHaveLength(1);
    expect((await transfersAt('wxpay')).filter((x) => x.out_bill_no === 'E2EPAYOUT1' && x.paid)).toHaveLength(1);
    const queried = await post('/http/vk-pay-co/queryTransfer', { out_bill_no: 'E2EPAYOUT1' }, admin());
    expect(queried.json).toMatchObject({ code: 0, data: { status: 'succeeded', amount: 1500 } });
    await post('/sandbox/control/faults', { channel: 'wxpay' });
  }, 60_000);

  it('a transfer call the gateway never answers is settled by querying the same out_bill_no: one payout', async () => {
    await post('/sandbox/control/faults', { channel: 'alipay', transferTimeouts: 100 });
    const body = { provider: 'alipay', out_bill_no: 'E2EPAYOUT2', amount: 2000, payee: { identity_type: 'ALIPAY_USER_ID', identity: '2088102175953034' }, remark: 'deposit' };
    const first = await post('/http/vk-pay-co/transfer', body, admin());
    // every transfer attempt went unanswered (the gateway paid the first); alipay.fund.trans.common.query told
    expect(first.json).toMatchObject({ code: 0, data: { status: 'succeeded' } });
    await post('/sandbox/control/faults', { channel: 'alipay' });
    expect((await transfersAt('alipay')).filter((x) => x.out_bill_no === 'E2EPAYOUT2' && x.paid)).toHaveLength(1);
    const logs = (await find('payment_logs', { type: 'transfer' })).filter((l) => l.detail?.out_bill_no === 'E2EPAYOUT2');
    expect(logs.map((l) => l.status)).toEqual(['fail']);
    // asking again with the same number pays nothing more
    expect((await post('/http/vk-pay-co/transfer', body, admin())).json).toMatchObject({ code: 0, data: { status: 'succeeded' } });
    expect((await transfersAt('alipay')).filter((x) => x.out_bill_no === 'E2EPAYOUT2')).toHaveLength(1);
  }, 90_000);

  it('a WeChat payout whose notification never arrives is settled by the timer', async () => {
    await post('/sandbox/control/faults', { channel: 'wxpay', unreachable: true });
    const started = await post('/http/vk-pay-co/transfer', { provider: 'wxpay', out_bill_no: 'E2EPAYOUT4', amount: 800, openid: 'oE2ePayee000000000000002', remark: '提现' }, admin());
    expect(started.json).toMatchObject({ code: 0, data: { status: 'waiting_user' } });
    expect((await post('/sandbox/control/transfer-confirm', { out_bill_no: 'E2EPAYOUT4' })).status).toBe(200);
    expect((await find('payment_transfers', { out_bill_no: 'E2EPAYOUT4' }))[0].status).toBe('waiting_user');
    // a minute passes: the payout is due for the timer
    await local.host.db.collection('payment_transfers').where({ out_bill_no: 'E2EPAYOUT4' }).update({ sync_next_at: Date.now() - 1 });
    const run = await post('/__dev/timers/vk-pay-sync', {});
    expect(run.status).toBe(200);
    expect(run.json.data ?? run.json).toMatchObject({ transfers_updated: 1 });
    expect((await find('payment_transfers', { out_bill_no: 'E2EPAYOUT4' }))[0].status).toBe('succeeded');
    await post('/sandbox/control/faults', { channel: 'wxpay' });
  }, 60_000);

  it('without the admin identity: refused with 40009, nothing recorded or sent', async () => {
    const login = await post('/__dev/login', { uid: 'someone' });
    const before = (await transfersAt('wxpay')).length;
    const r = await post('/http/vk-pay-co/transfer', { provider: 'wxpay', out_bill_no: 'E2EPAYOUT3', amount: 100, openid: 'oE2ePayee000000000000001', remark: 'x' }, { 'uni-id-token': login.json.token });
    expect(r.json).toMatchObject({ code: 40009, errCode: 40009 });
    expect(await find('payment_transfers', { out_bill_no: 'E2EPAYOUT3' })).toHaveLength(0);
    expect((await transfersAt('wxpay')).length).toBe(before);
  }, 30_000);
});

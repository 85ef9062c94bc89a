/**
 * The seed scenario, end to end through the real local host (built cloud functions, embedded database,
 * sandbox gateway, HTTP routes): the sandbox cannot reach the notify URL; a person pays; the order stays
 * pending; one timer run later it is paid, its hook ran once (points credited once), and a status-mismatch
 * alert was recorded.
 */
import { describe, expect, it } from 'vitest';
import { useRunningHost } from '../local/running-host';

const local = useRunningHost('vkpay-e2e-');
const { post, find } = local;

describe('a lost notification is repaired by the timer', () => {
  it('pay with the notify URL unreachable -> pending -> one timer run -> paid, hook once, mismatch alert', async () => {
    const faults = await post('/sandbox/control/faults', { channel: 'wxpay', unreachable: true });
    expect(faults.status).toBe(200);

    const login = await post('/__dev/login', { uid: 'e2e-user' });
    expect(login.json).toMatchObject({ uid: 'e2e-user', token: expect.any(String) });
    const created = await post('/http/vk-pay-co/createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 1234 }, { 'uni-id-token': login.json.token });
    expect(created.json).toMatchObject({ code: 0 });
    const no: string = created.json.data.out_trade_no;

    const paid = await post('/sandbox/control/pay', { channel: 'wxpay', out_trade_no: no, outcome: 'success' });
    expect(paid.status).toBe(200);
    // The sandbox tried to notify and could not reach us.
    const deliveries = await (await fetch(`${local.host.url}/sandbox/control/notifications?channel=wxpay&out_trade_no=${no}`)).json() as any;
    expect(deliveries.notifications.length).toBeGreaterThan(0);
    const [before] = await find('payment_orders', { out_trade_no: no });
    expect(before.status).toBe('pending');
    expect(await find('payment_notifications', { out_trade_no: no })).toHaveLength(0);

    // Three minutes pass (the timer leaves orders younger than 2 minutes to their notification).
    await local.host.db.collection('payment_orders').where({ out_trade_no: no }).update({ create_date: Date.now() - 3 * 60_000 });

    const run = await post('/__dev/timers/vk-pay-sync', {});
    expect(run.status).toBe(200);
    const summary = run.json.data ?? run.json;
    expect(summary).toMatchObject({ repaired: 1 });

    const [after] = await find('payment_orders', { out_trade_no: no });
    expect(after.status).toBe('paid');
    expect(after.history.filter((h: any) => h.event === 'pay')).toHaveLength(1);
    // the onPaid hook rides on the order (owed and claimed by the repair's pay move), run once
    expect(after).toMatchObject({ hook_status: 'done', hook_attempts: 1 });
    const [points] = await find('vk_pay_points', { user_id: 'e2e-user' });
    expect(points.points).toBe(1234);
    const alerts = await find('vk_pay_alerts', { kind: 'status_mismatch' });
    expect(alerts.map((a) => a.out_trade_no)).toEqual([no]);

    // Another run (and the timer of the same host via runTimer) changes nothing: credited once, alerted once.
    await post('/__dev/timers/vk-pay-sync', {});
    await local.host.runTimer('vk-pay-sync');
    expect((await find('vk_pay_points', { user_id: 'e2e-user' }))[0].points).toBe(1234);
    expect(await find('vk_pay_alerts', { kind: 'status_mismatch' })).toHaveLength(1);
    expect((await find('payment_orders', { out_trade_no: no }))[0].hook_attempts).toBe(1);
  }, 60_000);
});

import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../support/db';
import { createAlertMonitor, raiseAlert } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/monitor';
import type { VkPayConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/schema';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import { startReceiver } from './receiver';

let t: TestDb | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => { await t?.close(); await receiver?.close(); t = undefined; receiver = undefined; });

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

async function setup(answer?: Parameters<typeof startReceiver>[0]) {
  t = await openTestDb();
  receiver = await startReceiver(answer);
  let clock = T0;
  const ctx = { dao: t.dao, db: t.db, now: () => clock };
  const config = {
    env: 'production',
    alerts: { webhooks: [
      { kind: 'generic', url: `${receiver.base}/generic`, secret: 'generic-secret' },
      { kind: 'dingtalk', url: `${receiver.base}/robot/send?access_token=abc`, secret: 'SECdingtalk' },
      { kind: 'wecom', url: `${receiver.base}/cgi-bin/webhook/send?key=k` },
    ] },
  } as unknown as VkPayConfig;
  const monitor = createAlertMonitor(ctx, { http: createFetchHttpClient(), config });
  return { ctx, monitor, set: (ms: number) => { clock = ms; } };
}

describe('alerts: delivery', () => {
  it('sends one message per kind to each webhook in its own format, and stores the outcome', async () => {
    const { ctx, monitor } = await setup();
    await raiseAlert(ctx, { kind: 'status_mismatch', out_trade_no: 'NO123456', message: 'order NO123456 repaired' });
    expect(await monitor.deliver(T0)).toBe(1);
    expect(receiver!.hits.map((h) => h.path).sort()).toEqual(['/cgi-bin/webhook/send', '/generic', '/robot/send']);

    const ding = receiver!.hits.find((h) => h.path === '/robot/send')!;
    expect(ding.body).toEqual({ msgtype: 'text', text: { content: expect.stringContaining('order NO123456 repaired') } });
    const ts = ding.query.get('timestamp')!;
    expect(ding.query.get('sign')).toBe(createHmac('sha256', 'SECdingtalk').update(`${ts}\nSECdingtalk`).digest('base64'));
    const wecom = receiver!.hits.find((h) => h.path === '/cgi-bin/webhook/send')!;
    expect(wecom.body).toEqual({ msgtype: 'text', text: { content: expect.stringContaining('status_mismatch') } });
    const generic = receiver!.hits.find((h) => h.path === '/generic')!;
    expect(generic.body).toMatchObject({ source: 'vk-pay', kind: 'status_mismatch', count: 1 });
    expect(generic.headers['x-vkpay-signature']).toBe(createHmac('sha256', 'generic-secret').update(`${generic.headers['x-vkpay-timestamp']}.${generic.raw}`).digest('hex'));

    const [stored] = (await t!.dao.select<any>({ dbName: COLLECTIONS.alerts, pageSize: -1 })).rows;
    expect(stored).toMatchObject({ delivered: true, delivered_at: T0 });
    expect(stored.delivery).toHaveLength(3);
    expect(stored.delivery.every((d: { ok: boolean }) => d.ok)).toBe(true);
  });

  it('rate limit: two alerts of a kind in one 10-minute window make one delivery; the second rides in the next', async () => {
    const { ctx, monitor } = await setup();
    await raiseAlert(ctx, { kind: 'paid_after_close', message: 'first' });
    expect(await monitor.deliver(T0)).toBe(1);
    await raiseAlert(ctx, { kind: 'paid_after_close', message: 'second' });
    expect(await monitor.deliver(T0 + 60_000)).toBe(0);
    expect(await monitor.deliver(T0 + 9 * 60_000)).toBe(0);
    const generic = () => receiver!.hits.filter((h) => h.path === '/generic');
    expect(generic()).toHaveLength(1);
    // Another kind is not held back by this one.
    await raiseAlert(ctx, { kind: 'hook_dead_letter', message: 'hook failed 8 times' });
    expect(await monitor.deliver(T0 + 9 * 60_000)).toBe(1);
    // After the window the held alert goes out.
    expect(await monitor.deliver(T0 + 10 * 60_000 + 1)).toBe(1);
    expect(generic().map((h) => [h.body.kind, h.body.alerts.map((a: { message: string }) => a.message)])).toEqual([
      ['paid_after_close', ['first']], ['hook_dead_letter', ['hook failed 8 times']], ['paid_after_close', ['second']],
    ]);
  });

  it('two concurrent deliveries (two timer instances) send the kind once', async () => {
    const { ctx, monitor } = await setup();
    await raiseAlert(ctx, { kind: 'provider_outage', message: 'wxpay down' });
    const sent = await Promise.all([monitor.deliver(T0), monitor.deliver(T0), monitor.deliver(T0)]);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(1);
    expect(receiver!.hits.filter((h) => h.path === '/generic')).toHaveLength(1);
  });

  it('a delivery nobody accepted is retried on the next run instead of being silenced for the window', async () => {
    let up = false;
    // A robot answers 200 with an error code when it refuses a message: that is not a delivery.
    const { ctx } = await setup(() => (up ? { status: 200, body: { errcode: 0 } } : { status: 200, body: { errcode: 310000, errmsg: 'keywords not in content' } }));
    await raiseAlert(ctx, { kind: 'double_payment', message: 'paid twice' });
    const robotOnly = createAlertMonitor(ctx, { http: createFetchHttpClient(), config: { env: 'sandbox', alerts: { webhooks: [{ kind: 'wecom', url: `${receiver!.base}/w` }] } } as unknown as VkPayConfig });
    expect(await robotOnly.deliver(T0)).toBe(0);
    up = true;
    expect(await robotOnly.deliver(T0 + 60_000)).toBe(1);
    expect(receiver!.hits).toHaveLength(2);
  });
});

describe('alerts: thresholds', () => {
  it('error rate over 10 % in 5 minutes raises one alert per window', async () => {
    const { monitor } = await setup();
    for (let i = 0; i < 20; i++) await t!.dao.add({ dbName: COLLECTIONS.logs, dataJson: { type: 'query', status: 'pending', provider: 'wxpay', create_date: T0 - 60_000 } });
    for (let i = 0; i < 2; i++) await t!.dao.add({ dbName: COLLECTIONS.errors, dataJson: { code: 40004, action: 'sync', create_date: T0 - 30_000 } });
    expect(await monitor.evaluate(T0)).toBe(0); // 2 / 20 = 10 %: not over
    await t!.dao.add({ dbName: COLLECTIONS.errors, dataJson: { code: 40004, action: 'sync', create_date: T0 - 20_000 } });
    expect(await monitor.evaluate(T0)).toBe(1);
    expect(await monitor.evaluate(T0 + 60_000)).toBe(0);
    const rows = (await t!.dao.select<{ kind: string; message: string }>({ dbName: COLLECTIONS.alerts, pageSize: -1 })).rows;
    expect(rows.map((r) => r.kind)).toEqual(['error_rate']);
    expect(rows[0].message).toContain('15 %');
  });

  it('a notification 40 s after the payment raises notify_late; one 5 s after does not', async () => {
    const { monitor } = await setup();
    const paid = T0 - 120_000;
    await t!.dao.add({ dbName: COLLECTIONS.orders, dataJson: { out_trade_no: 'LATE00000001', status: 'paid', paid_at: paid, create_date: paid - 1000, dedupe_key: 'a' } });
    await t!.dao.add({ dbName: COLLECTIONS.orders, dataJson: { out_trade_no: 'FAST00000001', status: 'paid', paid_at: paid, create_date: paid - 1000, dedupe_key: 'b' } });
    await t!.dao.add({ dbName: COLLECTIONS.notifications, dataJson: { event_key: 'wxpay:e1', kind: 'paid', out_trade_no: 'FAST00000001', create_date: paid + 5_000 } });
    expect(await monitor.evaluate(T0)).toBe(0);
    await t!.dao.add({ dbName: COLLECTIONS.notifications, dataJson: { event_key: 'wxpay:e2', kind: 'paid', out_trade_no: 'LATE00000001', create_date: paid + 40_000 } });
    expect(await monitor.evaluate(T0)).toBe(1);
    const [alert] = (await t!.dao.select<{ kind: string; message: string }>({ dbName: COLLECTIONS.alerts, pageSize: -1 })).rows;
    expect(alert).toMatchObject({ kind: 'notify_late', message: expect.stringContaining('LATE00000001') });
  });

  it('refund success under 90 % and provider success under 95 % are alerted; thresholds come from the config', async () => {
    t = await openTestDb();
    const ctx = { dao: t.dao, db: t.db, now: () => T0 };
    const config = { env: 'sandbox', alerts: { webhooks: [], thresholds: { refundSuccessRate: 0.5, minSample: 4 } } } as unknown as VkPayConfig;
    const monitor = createAlertMonitor(ctx, { http: createFetchHttpClient(), config });
    expect(monitor.thresholds).toMatchObject({ refundSuccessRate: 0.5, minSample: 4, successRate: 0.95 });
    for (const status of ['success', 'success', 'failed', 'failed', 'failed']) {
      await t.dao.add({ dbName: COLLECTIONS.refunds, dataJson: { out_refund_no: `R${Math.random()}`, status, create_date: T0 - 1000 } });
    }
    for (const status of ['pay', 'pending', 'pending', 'fail']) await t.dao.add({ dbName: COLLECTIONS.logs, dataJson: { type: 'query', status, create_date: T0 - 1000 } });
    expect(await monitor.evaluate(T0)).toBe(2);
    const kinds = (await t.dao.select<{ kind: string }>({ dbName: COLLECTIONS.alerts, pageSize: -1 })).rows.map((r) => r.kind).sort();
    expect(kinds).toEqual(['refund_success_rate', 'success_rate']);
  });
});

describe('alerts: robot formats from the parsed config', () => {
  it('a WeCom or DingTalk webhook configured for markdown gets markdown; text keeps its mentions', async () => {
    const { parseConfig } = await import('../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load');
    const { generateKeyPairSync } = await import('node:crypto');
    const kp = generateKeyPairSync('rsa', { modulusLength: 2048 });
    t = await openTestDb();
    receiver = await startReceiver();
    const config = parseConfig({
      env: 'sandbox', notifyUrl: 'https://pay.example.com/n', orderTypes: { recharge: { amount: 'client' } },
      providers: { alipay: { appId: '2021', app: { privateKeyPem: kp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, alipay: { publicKeyPem: kp.publicKey.export({ type: 'spki', format: 'pem' }).toString() } } },
      alerts: { webhooks: [
        { kind: 'wecom', url: `${receiver.base}/wecom-md`, msgtype: 'markdown' },
        { kind: 'wecom', url: `${receiver.base}/wecom-text`, mentioned_list: ['@all'] },
        { kind: 'dingtalk', url: `${receiver.base}/ding-md`, msgtype: 'markdown', atMobiles: ['13900000000'] },
      ] },
    });
    const ctx = { dao: t.dao, db: t.db, now: () => T0 };
    await raiseAlert(ctx, { kind: 'notify_late', out_trade_no: 'NO7', message: 'notification 45 s late' });
    const monitor = createAlertMonitor(ctx, { http: createFetchHttpClient(), config });
    expect(await monitor.deliver(T0)).toBe(1);
    const body = (p: string) => receiver!.hits.find((h) => h.path === p)!.body as any;
    expect(body('/wecom-md')).toEqual({ msgtype: 'markdown', markdown: { content: expect.stringMatching(/^### vk-pay sandbox: notify_late\n\*\*1\*\* alert\n- notification 45 s late$/) } });
    expect(body('/wecom-text')).toEqual({ msgtype: 'text', text: { content: expect.stringContaining('notification 45 s late'), mentioned_list: ['@all'] } });
    expect(body('/ding-md')).toEqual({
      msgtype: 'markdown',
      markdown: { title: 'vk-pay sandbox: notify_late', text: expect.stringContaining('@13900000000') },
      at: { atMobiles: ['13900000000'], isAtAll: false },
    });
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudRequest, type Harness } from '../support/harness';
import { createAdminMethods } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/admin';
import { createSyncTimer } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import { age, createOrder, getOrder, newCounts, payWithLostNotification, rows, startSyncHarness } from '../sync/sync-harness';

let h: Harness | undefined;
const servers: http.Server[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const s of servers.splice(0)) await new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
});


function adminCall<T = any>(method: string, params: Record<string, unknown> = {}, as: { admin?: boolean; uid?: string; roles?: string[] } = { admin: true }): Promise<T> {
  const methods = createAdminMethods(h!.core.ctx);
  return cloudRequest(method, as, '{}').then((req) => methods[method](params, req) as Promise<T>);
}

async function server(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('admin methods: access', () => {
  it('every method refuses a signed-in person without the admin role (40009) and a wrong token', async () => {
    h = await startSyncHarness();
    for (const m of ['syncOrder', 'replayHooks', 'syncRange', 'listLogs', 'listErrors', 'getStats', 'checkNotifyUrl', 'listOrders', 'getOrder', 'getTimeSeries', 'listAlerts', 'reconcile', 'listReconciliations']) {
      await expect(adminCall(m, { out_trade_no: 'NO0000001' }, { uid: 'mallory' })).rejects.toMatchObject({ code: 40009 });
    }
    // a uni-id user with the admin role is an admin too (adminRoles, default ['admin'])
    expect((await adminCall('getStats', {}, { uid: 'ops', roles: ['admin'] })).orders).toBe(0);
    const wrong = await cloudRequest('getStats', {});
    wrong.httpInfo!.headers.authorization = 'Bearer not-the-token-0000000000';
    await expect(createAdminMethods(h.core.ctx).getStats({}, wrong)).rejects.toMatchObject({ code: 40009 });
    expect((await adminCall('getStats', {})).orders).toBe(0);
  });
});

describe('admin methods: sync', () => {
  it('syncOrder repairs one order now, whatever its age, and runs its hook once', async () => {
    h = await startSyncHarness();
    const no = await createOrder(h, { uid: 'gus', amount: 42 });
    await payWithLostNotification(h, no);
    const r = await adminCall('syncOrder', { out_trade_no: no });
    expect(r).toMatchObject({ out_trade_no: no, outcome: 'repaired', status: 'paid', provider_state: 'paid' });
    expect(await adminCall('syncOrder', { out_trade_no: no })).toMatchObject({ outcome: 'final', status: 'paid' });
    expect((await rows<{ points: number }>(h, COLLECTIONS.points, { user_id: 'gus' }))[0].points).toBe(42);
    await expect(adminCall('syncOrder', { out_trade_no: 'NOSUCH00001' })).rejects.toMatchObject({ code: 40005 });
  });

  it('syncOrder and a timer run racing on one order: queried once, one transition', async () => {
    const counts = newCounts();
    h = await startSyncHarness({ counts, delayMs: 30 });
    const no = await createOrder(h, { uid: 'hal' });
    await payWithLostNotification(h, no);
    await age(h, no, 5 * 60_000);
    const [byAdmin, byTimer] = await Promise.allSettled([adminCall('syncOrder', { out_trade_no: no }), createSyncTimer({ ctx: h.core.ctx }).runSync()]);
    expect(counts.query.get(no)).toBe(1);
    const order = await getOrder(h, no);
    expect(order.history.filter((e) => e.event === 'pay')).toHaveLength(1);
    // Whoever lost the claim said so: the admin gets 40010 (retry), the timer simply skips.
    if (byAdmin.status === 'rejected') expect(byAdmin.reason).toMatchObject({ code: 40010 });
    else expect(byTimer.status === 'fulfilled' && byTimer.value.repaired).toBe(0);
  });

  it('syncRange sweeps every pending order of a date range in resumable slices with progress', async () => {
    h = await startSyncHarness();
    const from = Date.now() - 3600_000;
    const nos: string[] = [];
    for (let i = 0; i < 7; i++) nos.push(await createOrder(h, { uid: `r${i}`, amount: 5 }));
    for (const no of nos.slice(0, 3)) await payWithLostNotification(h, no);
    const outside = await createOrder(h, { uid: 'outside' });
    await payWithLostNotification(h, outside);
    await age(h, outside, 2 * 3600_000);
    const to = Date.now() + 1000;

    const slices = [];
    let cursor: string | null = null;
    do {
      const r: any = await adminCall('syncRange', { from, to, limit: 3, ...(cursor ? { cursor } : {}) });
      slices.push(r);
      cursor = r.next_cursor;
    } while (cursor && slices.length < 10);
    expect(slices.map((s) => [s.done, s.processed, s.total])).toEqual([[false, 3, 7], [false, 6, 7], [true, 7, 7]]);
    expect(slices.reduce((n, s) => n + (s.outcomes.repaired ?? 0), 0)).toBe(3);
    for (const no of nos.slice(0, 3)) expect((await getOrder(h, no)).status).toBe('paid');
    for (const no of nos.slice(3)) expect((await getOrder(h, no)).status).toBe('pending');
    expect((await getOrder(h, outside)).status).toBe('pending');
    await expect(adminCall('syncRange', { from, to, cursor: 'garbage' })).rejects.toMatchObject({ code: 40001 });
  });

  it('replayHooks runs an order\'s hooks again (idempotent hook: no second credit)', async () => {
    h = await startSyncHarness();
    const no = await createOrder(h, { uid: 'ivy', amount: 11 });
    await payWithLostNotification(h, no);
    await adminCall('syncOrder', { out_trade_no: no });
    const r = await adminCall('replayHooks', { out_trade_no: no, include_done: true });
    expect(r).toMatchObject({ replayed: 1, results: { [`${no}:paid`]: 'done' } });
    expect((await rows<{ points: number }>(h, COLLECTIONS.points, { user_id: 'ivy' }))[0].points).toBe(11);
  });
});

describe('admin methods: logs, errors, stats', () => {
  it('listLogs and listErrors filter and paginate, newest first', async () => {
    h = await startSyncHarness();
    const a = await createOrder(h, { uid: 'jo' });
    await createOrder(h, { uid: 'kim' });
    await h.call('queryPayment', { out_trade_no: 'NOSUCH00002' }, { uid: 'jo' }).catch(() => undefined);
    const creates = await adminCall('listLogs', { type: 'create', pageSize: 1 });
    expect(creates).toMatchObject({ total: 2, page: 1, pageSize: 1, hasMore: true });
    const page2 = await adminCall('listLogs', { type: 'create', pageSize: 1, page: 2 });
    expect(page2.rows[0].out_trade_no).toBe(a); // newest first: the first order is on page 2
    expect((await adminCall('listLogs', { out_trade_no: a })).rows.every((r: any) => r.out_trade_no === a)).toBe(true);
    const errs = await adminCall('listErrors', { code: 40005 });
    expect(errs.total).toBe(1);
    expect(errs.rows[0]).toMatchObject({ code: 40005, action: 'queryPayment' });
    expect((await adminCall('listErrors', { code: 40002 })).total).toBe(0);
    await expect(adminCall('listLogs', { typo: 1 })).rejects.toMatchObject({ code: 40001 });
    // VK-style paging names the page pageIndex; the answer carries both names
    const vk = await adminCall('listLogs', { type: 'create', pageSize: 1, pageIndex: 2 });
    expect(vk).toMatchObject({ page: 2, pageIndex: 2, pageSize: 1, total: 2 });
    expect(vk.rows[0].out_trade_no).toBe(a);
    expect((await adminCall('listErrors', { pageIndex: 1, pageSize: 5 })).pageIndex).toBe(1);
    expect(await adminCall('listLogs', { page: 2, pageIndex: 2, pageSize: 1 })).toMatchObject({ page: 2 });
    await expect(adminCall('listLogs', { page: 1, pageIndex: 2 })).rejects.toMatchObject({ code: 40001, message: expect.stringContaining('pageIndex') });
    await expect(adminCall('listErrors', { pageIndex: 0 })).rejects.toMatchObject({ code: 40001 });
  });

  it('getStats reports the repaired mismatch and the provider latency', async () => {
    h = await startSyncHarness();
    const no = await createOrder(h, { uid: 'lee' });
    await payWithLostNotification(h, no);
    await adminCall('syncOrder', { out_trade_no: no });
    const s = await adminCall('getStats', { from: Date.now() - 60_000, to: Date.now() + 1000 });
    expect(s).toMatchObject({ orders: 1, paid: 1, success_rate: 1, mismatches_repaired: 1, alerts_by_kind: { status_mismatch: 1 } });
    expect(s.latency_by_provider.map((l: any) => l.provider)).toEqual(['wxpay']);
  });
});

describe('admin methods: checkNotifyUrl', () => {
  it('the configured URL reaches vk-pay-notify (its refusal of the unsigned probe proves it is there)', async () => {
    h = await startSyncHarness();
    const r = await adminCall('checkNotifyUrl');
    expect(r.ok).toBe(true);
    expect(r.results.map((x: any) => x.channel).sort()).toEqual(['alipay', 'wxpay', 'wxpay-v2']);
    expect(r.results.every((x: any) => x.reachable)).toBe(true);
  });

  it('says why a URL is unreachable: refused, DNS, timeout, TLS, non-2xx', async () => {
    h = await startSyncHarness();
    const notFound = await server((_req, res) => { res.writeHead(404); res.end('no'); });
    const silent = await server(() => { /* never answers */ });
    const codeOf = async (url: string) => (await adminCall('checkNotifyUrl', { url, timeoutMs: 300 })).results[0].problems.map((p: any) => p.code);
    expect(await codeOf('http://127.0.0.1:1/http/vk-pay-notify/wxpay')).toEqual(['refused']);
    expect(await codeOf('https://vkpay-probe.invalid/notify')).toEqual(['dns']);
    expect(await codeOf(`${silent}/notify`)).toEqual(['timeout']);
    expect(await codeOf(`${notFound.replace('http:', 'https:')}/notify`)).toEqual(['tls']);
    expect(await codeOf(`${notFound}/notify`)).toEqual(['http_status']);
  });

  it('in production, a localhost or private notify URL is reported even when it answers', async () => {
    h = await startSyncHarness();
    const production = { ...h.core.ctx, config: { ...h.core.ctx.config, env: 'production' as const } };
    const ok = await server((_req, res) => { res.writeHead(200); res.end('success'); });
    const r: any = await createAdminMethods(production).checkNotifyUrl({ url: `${ok}/notify` }, await cloudRequest('checkNotifyUrl', { admin: true }));
    expect(r.ok).toBe(false);
    expect(r.results[0]).toMatchObject({ reachable: true, status: 200 });
    expect(r.results[0].problems.map((p: any) => p.code)).toEqual(['not_public']);
  });
});

/**
 * What the WeChat virtual payment tests through the core share: the harness configured for the sandbox mini
 * program (env 1, the sandbox AppKey), a payer who logged in (uni.login -> getOpenid: the server keeps the openid
 * and the session key), and an order created and opened on the device (createPayment -> uni.requestVirtualPayment).
 */
import { expect } from 'vitest';
import type { SandboxCredentials } from '../../../sandbox/credentials';
import type { VkPayConfigInput } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/schema';
import { all } from './db';
import { startHarness, type Harness } from './harness';

export type VirtualOrderType = 'episode' | 'coins';

export function virtualConfig(base: string, creds: SandboxCredentials) {
  const v = creds.wxpayVirtual;
  return {
    userInfoKey: 'cd'.repeat(32),
    providers: {
      'wxpay-virtual': {
        appId: creds.wxpay.apps.mp.appId, appSecret: creds.wxpay.apps.mp.appSecret, offerId: v.offerId, env: 1 as const,
        appKey: v.appKey, sandboxAppKey: v.sandboxAppKey, token: v.token, encodingAESKey: v.encodingAESKey, coinPrice: v.coinPrice,
        wxapiBaseUrl: `${base}/sandbox/wxapi/`,
      },
    },
    orderTypes: {
      episode: { amount: 'catalog' as const, catalog: { ep01: { amount: 990, subject: 'Episode 1', wxVirtualProductId: 'ep01' } } },
      coins: { amount: 'catalog' as const, catalog: { c60: { amount: 600, subject: '60 coins', wxVirtualCoins: 60 } } },
    },
  };
}

/** Hook runs per order type and event, counted by the business hooks the harness installs. */
export interface VirtualRuns { paid: Record<VirtualOrderType, number>; refunded: Record<VirtualOrderType, number> }

/** `extra`: more config (e.g. `sync`) over the virtual payment config. */
export async function startVirtual(extra: Partial<VkPayConfigInput> = {}): Promise<{ h: Harness; runs: VirtualRuns }> {
  const runs: VirtualRuns = { paid: { episode: 0, coins: 0 }, refunded: { episode: 0, coins: 0 } };
  const counting = (type: VirtualOrderType) => ({ async onPaid() { runs.paid[type]++; }, async onRefunded() { runs.refunded[type]++; } });
  const h = await startHarness({ config: (base, creds) => ({ ...virtualConfig(base, creds), ...extra }), deps: { hooks: { modules: { episode: counting('episode'), coins: counting('coins') } } } });
  return { h, runs };
}

/** uni.login in the mini program, then getOpenid: the server keeps the openid and the session key. */
export async function loggedIn(h: Harness, uid: string, user = uid): Promise<{ openid: string }> {
  const { code } = h.sandbox.control.loginCode('wxpay', { pay_type: 'mp', user });
  return h.call<{ openid: string }>('getOpenid', { provider: 'wxpay-virtual', pay_type: 'mp', code }, { uid });
}

/** createPayment, then what uni.requestVirtualPayment does on the device with the answer. */
export async function opened(h: Harness, uid: string, openid: string, type: VirtualOrderType, goods_id: string) {
  const created = await h.call('createPayment', { provider: 'wxpay-virtual', pay_type: 'mp', type, goods_id }, { uid });
  expect(created.payment.kind).toBe('virtualPayment');
  expect(h.sandbox.control.requestVirtualPayment({ openid, ...created.payment })).toMatchObject({ ok: true });
  return created;
}

/** An order opened, paid on the device and delivered by the push: the order is paid here. */
export async function paidOrder(h: Harness, uid: string, type: VirtualOrderType = 'episode', goods_id = 'ep01') {
  const { openid } = await loggedIn(h, uid);
  const created = await opened(h, uid, openid, type, goods_id);
  expect(h.sandbox.control.pay('wxpay-virtual', created.out_trade_no).ok).toBe(true);
  expect(await h.sandbox.control.settled(10_000)).toBe(true);
  expect((await orderOf(h, created.out_trade_no)).status).toBe('paid');
  return { openid, out_trade_no: created.out_trade_no as string, amount: created.amount as number };
}

export const orderOf = async (h: Harness, no: string) => (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;
export const refundOf = async (h: Harness, no: string) => (await all(h.t.db, 'refund_records')).find((r) => r.out_refund_no === no);

/** Waits (bounded) until the sandbox has settled a refund task and raised its push, delivered or not. */
export async function refundPushRaised(h: Harness, out_trade_no: string, count = 1): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (h.sandbox.control.notifications({ channel: 'wxpay-virtual', out_trade_no }).filter((n) => n.kind === 'refund').length >= count) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no refund push raised for ${out_trade_no}`);
}

/**
 * The sync timer over the core harness (real sandbox, real providers over HTTP, embedded database): helpers to
 * make orders whose notification is lost, and a provider source that counts the calls each order receives.
 */
import { startHarness, type Harness } from '../support/harness';
import type { CoreDeps } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/core-services';
import { providersFromConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/services/provider-source';
import type { SandboxChannel } from '../../../sandbox/state';
import type { Channel, PaymentProvider } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
import type { OrderDoc } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/order';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import type { VkPayConfigInput } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/schema';

export interface CallCounts { query: Map<string, number>; close: Map<string, number>; queryRefund: Map<string, number>; inFlight: number; maxInFlight: number; starts: number[] }

/** Real providers whose calls are counted per out_trade_no (and optionally slowed down, for budget tests). */
export function countingProviders(counts: CallCounts, delayMs = 0) {
  const real = providersFromConfig();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const pause = () => (delayMs ? new Promise((r) => setTimeout(r, delayMs)) : Promise.resolve());
  return (channel: Channel, section: unknown): PaymentProvider => {
    const p = real(channel, section);
    return Object.assign(Object.create(p) as PaymentProvider, {
      channel: p.channel,
      provider: p.provider,
      async queryOrder(no: string) {
        bump(counts.query, no);
        counts.starts.push(performance.now());
        counts.maxInFlight = Math.max(counts.maxInFlight, ++counts.inFlight);
        try {
          await pause();
          return await p.queryOrder(no);
        } finally {
          counts.inFlight--;
        }
      },
      async closeOrder(no: string) { bump(counts.close, no); return p.closeOrder(no); },
      async queryRefund(rno: string, no: string) { bump(counts.queryRefund, rno); return p.queryRefund(rno, no); },
    });
  };
}

export function newCounts(): CallCounts {
  return { query: new Map(), close: new Map(), queryRefund: new Map(), inFlight: 0, maxInFlight: 0, starts: [] };
}

export async function startSyncHarness(opts: { counts?: CallCounts; delayMs?: number; config?: Partial<VkPayConfigInput>; deps?: Partial<CoreDeps> } = {}): Promise<Harness> {
  return startHarness({
    config: opts.config,
    deps: { ...(opts.counts ? { providers: countingProviders(opts.counts, opts.delayMs) } : {}), ...opts.deps },
  });
}

let uidSeq = 0;

/** A recharge order created through the cloud object (so it is exactly what the core stores). */
export async function createOrder(h: Harness, p: { channel?: 'wxpay' | 'alipay'; amount?: number; uid?: string } = {}): Promise<string> {
  const provider = p.channel ?? 'wxpay';
  const r = await h.call<{ out_trade_no: string }>('createPayment', {
    provider, pay_type: provider === 'wxpay' ? 'native' : 'qr', type: 'recharge', amount: p.amount ?? 100,
  }, { uid: p.uid ?? `user${++uidSeq}` });
  return r.out_trade_no;
}

/** The person pays at the sandbox while the sandbox cannot reach our notify URL: the order stays pending here. */
export async function payWithLostNotification(h: Harness, no: string, channel: SandboxChannel = 'wxpay'): Promise<void> {
  h.sandbox.control.setFaults(channel, { unreachable: true });
  const r = h.sandbox.control.pay(channel, no, 'success');
  if (!r.ok) throw new Error(`sandbox refused to pay ${no}: ${r.code}`);
}

export async function getOrder(h: Harness, no: string): Promise<OrderDoc & Record<string, any>> {
  const doc = await h.t.dao.findByWhereJson<OrderDoc & Record<string, any>>({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no: no } });
  if (!doc) throw new Error(`no order ${no}`);
  return doc;
}

/** Moves an order's times into the past, as if it had been created `agoMs` ago (and expired when asked). */
export async function age(h: Harness, no: string, agoMs: number, opts: { expired?: boolean } = {}): Promise<void> {
  const now = Date.now();
  const data: Record<string, unknown> = { create_date: now - agoMs };
  if (opts.expired) data.expires_at = now - 1000;
  await h.t.dao.update({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no: no }, dataJson: data });
}

export async function rows<T = Record<string, any>>(h: Harness, dbName: string, whereJson: Record<string, unknown> = {}): Promise<T[]> {
  return (await h.t.dao.select<T>({ dbName, whereJson, pageSize: -1 })).rows;
}

/**
 * Correctly signed provider notifications built with the sandbox's own builders (the same code that signs what
 * the sandbox sends), from an order the test may alter: a wrong amount, merchant or order number, or an old
 * timestamp - all validly signed, so only the core's checks can refuse them.
 */
import { randomUUID } from 'node:crypto';
import { buildAlipayNotification } from '../../../sandbox/alipay/objects';
import type { SandboxCredentials } from '../../../sandbox/credentials';
import type { FaultSettings } from '../../../sandbox/faults';
import type { SandboxOrder } from '../../../sandbox/state';
import { buildV3Notification } from '../../../sandbox/wxpay/v3-objects';
import type { Channel, IncomingNotification } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
import type { Harness } from './harness';

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The sandbox's record of an order, as if the person had paid (without raising a notification). */
export function paidSandboxOrder(h: Harness, channel: Channel, out_trade_no: string, over: Partial<SandboxOrder> = {}): SandboxOrder {
  const o = h.sandbox.control.order(channel as 'wxpay' | 'alipay', out_trade_no);
  if (!o) throw new Error(`sandbox has no order ${out_trade_no}`);
  const now = Date.now();
  return { ...o, status: 'SUCCESS', paid_at: o.paid_at ?? now, ...over } as SandboxOrder;
}

export function signedNotification(
  creds: SandboxCredentials, channel: 'wxpay' | 'alipay', order: SandboxOrder,
  opts: { eventId?: string; nowMs?: number; tamper?: FaultSettings['tamper'] } = {},
): IncomingNotification {
  const eventId = opts.eventId ?? randomUUID();
  const now = opts.nowMs ?? Date.now();
  const out = channel === 'wxpay'
    ? buildV3Notification(creds, eventId, now, order, undefined, opts.tamper, now)
    : buildAlipayNotification(creds, eventId, order, undefined, [], opts.tamper, now);
  return { headers: lower(out.headers), rawBody: out.body };
}

/**
 * Fault injection for the notifier (`POST /sandbox/control/faults`). Settings are per channel and are
 * snapshotted into each notification when it is raised, so a test that changes faults later never alters a
 * delivery already under way.
 */
import { z } from 'zod';
import { ParamError } from '../uni_modules/vk-pay/common/errors';
import { isNotifyChannel, type NotifyChannel } from './state';
import type { StatementFaults } from './statements/day';

export interface FaultSettings {
  /** the first N delivery attempts of each notification are lost (count as failed, so the schedule retries) */
  drop?: number;
  /** each delivery is sent N extra times (N + 1 identical POSTs) */
  duplicate?: number;
  /** wait this long (real ms, not scaled) before each delivery attempt */
  delayMs?: number;
  /** every attempt fails as if the notify URL refused the connection, until the schedule gives up */
  unreachable?: boolean;
  /**
   * signature: the signature is corrupted. amount: the amount is changed after signing (v2 refund
   * notifications carry no signature: there the encrypted amount itself changes). timestamp: WeChat v3 sends a
   * correctly signed notification 10 minutes old (outside the 300 s window); v2 and Alipay change the time
   * field after signing. App Store: signature corrupts the JWS signature, amount and timestamp edit the signed
   * payload after signing, chain signs with a look-alike chain under a root the config does not trust.
   */
  tamper?: 'signature' | 'amount' | 'timestamp' | 'chain';
  /**
   * WeChat only: how refunds accepted from now on settle. abnormal: REFUND.ABNORMAL (v2 CHANGE), the money
   * stays held; closed: REFUND.CLOSED (v2 REFUNDCLOSE), the amount becomes refundable again (virtual payment:
   * xpay_refund_notify with RetCode 1, query_order status 7). Default success.
   */
  refund?: 'success' | 'abnormal' | 'closed';
  /** how the daily statement disagrees with the books (sandbox/statements/day.ts) */
  statement?: StatementFaults;
  /**
   * Payouts: the next N transfer calls are carried out (the payout is made or awaits confirmation) but never
   * answered - the connection is held open until the client gives up, as a gateway that timed out.
   */
  transferTimeouts?: number;
}

const faultsBody = z.object({
  channel: z.string().refine(isNotifyChannel, 'channel must be wxpay, wxpay-v2, alipay, wxpay-virtual or appleiap'),
  drop: z.number().int().min(0).max(1000).optional(),
  duplicate: z.number().int().min(0).max(100).optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
  unreachable: z.boolean().optional(),
  tamper: z.enum(['signature', 'amount', 'timestamp', 'chain']).optional(),
  refund: z.enum(['success', 'abnormal', 'closed']).optional(),
  statement: z.object({
    drop: z.array(z.string().min(1).max(64)).max(1000).optional(),
    amount: z.record(z.string().min(1).max(64), z.number().int().positive()).optional(),
    pending: z.boolean().optional(),
    corrupt: z.boolean().optional(),
  }).strict().optional(),
  transferTimeouts: z.number().int().min(0).max(100).optional(),
}).strict()
  .refine((b) => !(b.refund && (b.channel === 'alipay' || b.channel === 'appleiap')), 'refund outcomes apply to WeChat only (Alipay refunds settle at once)')
  .refine((b) => b.tamper !== 'chain' || b.channel === 'appleiap', 'tamper chain (signed by an untrusted root) applies to appleiap only')
  .refine((b) => !(b.refund === 'abnormal' && b.channel === 'wxpay-virtual'), 'wxpay-virtual refunds succeed or fail (refund: closed); there is no held state');

/** Validates a control request; a body with only `channel` clears that channel's faults. */
export function parseFaultRequest(body: unknown): { channel: NotifyChannel; faults: FaultSettings } {
  const parsed = faultsBody.safeParse(body);
  if (!parsed.success) throw new ParamError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  const { channel, ...faults } = parsed.data;
  return { channel: channel as NotifyChannel, faults };
}

/**
 * Fault injection for the notifier (`POST /sandbox/control/faults`). Settings are per channel and are
 * snapshotted into each notification when it is raised, so a test that changes faults later never alters a
 * delivery already under way.
 */
import { z } from 'zod';
import { ParamError } from '../uni_modules/vk-pay/common/errors';
import { isSandboxChannel, type SandboxChannel } from './state';

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
   * field after signing.
   */
  tamper?: 'signature' | 'amount' | 'timestamp';
  /**
   * WeChat only: how refunds accepted from now on settle. abnormal: REFUND.ABNORMAL (v2 CHANGE), the money
   * stays held; closed: REFUND.CLOSED (v2 REFUNDCLOSE), the amount becomes refundable again. Default success.
   */
  refund?: 'success' | 'abnormal' | 'closed';
}

const faultsBody = z.object({
  channel: z.string().refine(isSandboxChannel, 'channel must be wxpay, wxpay-v2, alipay or wxpay-virtual'),
  drop: z.number().int().min(0).max(1000).optional(),
  duplicate: z.number().int().min(0).max(100).optional(),
  delayMs: z.number().int().min(0).max(60_000).optional(),
  unreachable: z.boolean().optional(),
  tamper: z.enum(['signature', 'amount', 'timestamp']).optional(),
  refund: z.enum(['success', 'abnormal', 'closed']).optional(),
}).strict().refine((b) => !(b.refund && b.channel === 'alipay'), 'refund outcomes apply to WeChat only (Alipay refunds settle at once)');

/** Validates a control request; a body with only `channel` clears that channel's faults. */
export function parseFaultRequest(body: unknown): { channel: SandboxChannel; faults: FaultSettings } {
  const parsed = faultsBody.safeParse(body);
  if (!parsed.success) throw new ParamError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  const { channel, ...faults } = parsed.data;
  return { channel: channel as SandboxChannel, faults };
}

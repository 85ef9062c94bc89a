/**
 * The sandbox's books of payouts (WeChat transfer bills, Alipay fund transfers), kept in the sandbox state
 * beside orders. Like the real gateways, the merchant's number is the idempotency key: the same out_bill_no
 * with the same content answers the same payout, with other content it is refused, and a payout is paid at
 * most once (`paid`). WeChat bills wait for the payee's confirmation (`confirm`, a control standing in for the
 * person tapping "receive" in WeChat); Alipay transfers succeed at once.
 */
import { createHash } from 'node:crypto';
import { randomDigits } from './credentials';
import type { SandboxState, SandboxTransfer } from './state';

export type NewTransfer = Omit<SandboxTransfer, 'transfer_bill_no' | 'state' | 'fingerprint' | 'paid' | 'created_at' | 'updated_at' | 'package_info' | 'fail_reason'>;

export const transferKey = (channel: string, outBillNo: string) => `${channel}:${outBillNo}`;

function fingerprintOf(t: NewTransfer): string {
  return createHash('sha256').update(JSON.stringify([t.channel, t.out_bill_no, t.amount, t.payee_type, t.payee, t.app_id])).digest('hex');
}

export class Payouts {
  constructor(
    private readonly state: SandboxState,
    /** a payout reached a final state (WeChat notifies it) */
    private readonly finished: (t: SandboxTransfer) => void,
    private readonly now: () => number,
  ) {}

  get(channel: string, outBillNo: string): SandboxTransfer | undefined {
    return this.state.data.transfers[transferKey(channel, outBillNo)];
  }

  list(channel?: string): SandboxTransfer[] {
    return Object.values(this.state.data.transfers).filter((t) => !channel || t.channel === channel).sort((a, b) => a.created_at - b.created_at);
  }

  /** `conflict`: the number is taken by a payout with other content. `repeated`: the same request again. */
  create(input: NewTransfer, opts: { waitUser: boolean }): { ok: true; transfer: SandboxTransfer; repeated: boolean } | { ok: false; reason: 'conflict' } {
    const key = transferKey(input.channel, input.out_bill_no);
    const fingerprint = fingerprintOf(input);
    const known = this.state.data.transfers[key];
    if (known) return known.fingerprint === fingerprint ? { ok: true, transfer: known, repeated: true } : { ok: false, reason: 'conflict' };
    const now = this.now();
    const t: SandboxTransfer = {
      ...input, fingerprint, paid: false, created_at: now, updated_at: now,
      transfer_bill_no: `${input.channel === 'wxpay' ? '1330' : '2025'}${randomDigits(24)}`,
      state: opts.waitUser ? 'WAIT_USER_CONFIRM' : 'SUCCESS',
    };
    if (opts.waitUser) t.package_info = `ABBQO+oYAAABAAAAAAB${randomDigits(12)}${input.out_bill_no}`;
    else t.paid = true;
    this.state.data.transfers[key] = t;
    void this.state.save();
    return { ok: true, transfer: t, repeated: false };
  }

  private finish(t: SandboxTransfer, state: 'SUCCESS' | 'FAIL' | 'CANCELLED', reason?: string): SandboxTransfer {
    t.state = state;
    t.updated_at = this.now();
    if (state === 'SUCCESS') t.paid = true;
    if (reason) t.fail_reason = reason;
    void this.state.save();
    this.finished(t);
    return t;
  }

  /** The payee confirms (or the bill fails, e.g. the payee's daily quota): only a bill still waiting moves. */
  confirm(channel: string, outBillNo: string, outcome: 'success' | 'fail' = 'success', reason = 'DAY_RECEIVED_QUOTA_EXCEED'):
    { ok: true; transfer: SandboxTransfer } | { ok: false; reason: 'not_found' | 'not_waiting' } {
    const t = this.get(channel, outBillNo);
    if (!t) return { ok: false, reason: 'not_found' };
    if (t.state !== 'WAIT_USER_CONFIRM' && t.state !== 'ACCEPTED') return { ok: false, reason: 'not_waiting' };
    return { ok: true, transfer: this.finish(t, outcome === 'success' ? 'SUCCESS' : 'FAIL', outcome === 'fail' ? reason : undefined) };
  }

  /** The merchant cancels: possible until the payee confirmed. */
  cancel(channel: string, outBillNo: string): { ok: true; transfer: SandboxTransfer } | { ok: false; reason: 'not_found' | 'final' } {
    const t = this.get(channel, outBillNo);
    if (!t) return { ok: false, reason: 'not_found' };
    if (t.state === 'CANCELLED') return { ok: true, transfer: t };
    if (t.state !== 'WAIT_USER_CONFIRM' && t.state !== 'ACCEPTED') return { ok: false, reason: 'final' };
    return { ok: true, transfer: this.finish(t, 'CANCELLED') };
  }

  /** Consumes one `transferTimeouts` fault of the channel: true when this call must go unanswered. */
  takeTimeout(channel: 'wxpay' | 'alipay'): boolean {
    const f = this.state.data.faults[channel];
    if (!f?.transferTimeouts) return false;
    f.transferTimeouts -= 1;
    void this.state.save();
    return true;
  }
}

/**
 * The same person pressing "pay" twice (double tap, page reload, flaky network) must get the same pending
 * order back, not a second one. The fingerprint is a hash of the normalised create input; the dedupe key adds
 * a 5-minute bucket and is unique, so even two identical creates racing on two instances make one order.
 */
import { createHash } from 'node:crypto';

export const DEDUPE_WINDOW_MS = 5 * 60 * 1000;

export interface FingerprintInput {
  user_id: string;
  provider: string;
  pay_type: string;
  type: string;
  amount: number;
  goods_id?: string;
  subject: string;
  openid?: string;
  /** a scanned payment code: each scan is its own payment (the same code again is the same request) */
  auth_code?: string;
}

export function fingerprintOf(input: FingerprintInput): string {
  const normalised = [
    input.user_id, input.provider, input.pay_type, input.type, String(input.amount),
    (input.goods_id ?? '').trim(), input.subject.trim().replace(/\s+/g, ' '), (input.openid ?? '').trim(),
  ];
  if (input.auth_code) normalised.push(input.auth_code.trim());
  return createHash('sha256').update(normalised.join('\u0000')).digest('hex').slice(0, 32);
}

export function dedupeKeyOf(fingerprint: string, now: number): string {
  return `${fingerprint}:${Math.floor(now / DEDUPE_WINDOW_MS)}`;
}

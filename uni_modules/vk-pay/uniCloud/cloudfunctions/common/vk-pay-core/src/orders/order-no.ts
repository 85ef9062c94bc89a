/**
 * Order numbers: 22 digits = 8-digit date (UTC+8, the merchant's day) + 2-digit channel + 4-digit sequence +
 * 6-digit user hash + 2 check digits (ISO 7064 MOD 97-10, as in IBAN).
 *
 * Why MOD 97-10 catches every single-digit error and every adjacent transposition: a valid number N satisfies
 * N mod 97 = 1. Changing digit i from a to b changes N by (b - a)·10^i; swapping neighbours a,b at i+1,i changes
 * it by (a - b)·9·10^i. 97 is prime and divides none of 1..9, 9 or 10^i, so neither change keeps N mod 97 = 1.
 * (test/core/orders/order-no.test.ts checks both properties exhaustively over every position.)
 *
 * Uniqueness across concurrent cloud instances does not rest on the in-process sequence: the unique index on
 * out_trade_no rejects a collision and createPayment retries with the next sequence.
 */
import { createHash, randomInt } from 'node:crypto';

export const ORDER_CHANNEL_CODES = { 'mini-program': '01', h5: '02', app: '03', admin: '04' } as const;
export type OrderChannel = keyof typeof ORDER_CHANNEL_CODES;

// Each instance starts at a random point so that two cold-started instances rarely walk the same sequence.
let sequence = randomInt(0, 10_000);

/** uni-app's clientInfo.platform (mp-weixin, h5, app, ...) -> the order-number channel. */
export function orderChannelOf(platform: string | undefined, isAdmin = false): OrderChannel {
  if (isAdmin) return 'admin';
  const p = (platform ?? '').toLowerCase();
  if (p.startsWith('mp-') || p === 'quickapp-webview') return 'mini-program';
  if (p === 'app' || p === 'app-plus' || p === 'ios' || p === 'android' || p === 'harmony') return 'app';
  return 'h5';
}

/** yyyymmdd of the moment in UTC+8. */
export function datePartUtc8(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}

export function userHash6(uid: string): string {
  const h = createHash('sha256').update(uid).digest();
  return pad(h.readUInt32BE(0) % 1_000_000, 6);
}

/** The two MOD 97-10 check digits for a string of digits. */
export function mod97CheckDigits(digits: string): string {
  if (!/^\d+$/.test(digits)) throw new RangeError('digits only');
  const remainder = (BigInt(digits) * 100n) % 97n;
  return pad(Number(98n - remainder), 2);
}

/** True when the 22 digits carry valid check digits (N mod 97 = 1). */
export function isValidOrderNo(orderNo: string): boolean {
  return /^\d{22}$/.test(orderNo) && BigInt(orderNo) % 97n === 1n;
}

export function nextSequence(): number {
  sequence = (sequence + 1) % 10_000;
  return sequence;
}

export function makeOrderNo(p: { now: number; channel: OrderChannel; uid: string; sequence?: number }): string {
  const seq = p.sequence ?? nextSequence();
  const body = datePartUtc8(p.now) + ORDER_CHANNEL_CODES[p.channel] + pad(seq, 4) + userHash6(p.uid);
  return body + mod97CheckDigits(body);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

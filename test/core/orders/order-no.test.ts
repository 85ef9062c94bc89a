/** Order numbers: layout, and the MOD 97-10 check digits catching every single-digit error and adjacent swap. */
import { describe, expect, it } from 'vitest';
import { datePartUtc8, isValidOrderNo, makeOrderNo, mod97CheckDigits, orderChannelOf, userHash6 } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/orders/order-no';

const samples = [
  makeOrderNo({ now: Date.UTC(2026, 10, 22, 16, 30), channel: 'h5', uid: 'user-1', sequence: 42 }),
  makeOrderNo({ now: Date.UTC(2026, 0, 1), channel: 'mini-program', uid: 'u', sequence: 0 }),
  makeOrderNo({ now: Date.UTC(2030, 11, 31, 23), channel: 'admin', uid: 'admin', sequence: 9999 }),
  ...Array.from({ length: 30 }, (_, i) => makeOrderNo({ now: Date.UTC(2026, 5, 1) + i * 86_400_000 * 7, channel: 'app', uid: `x${i}` })),
];

describe('order numbers', () => {
  it('are 22 digits: date (UTC+8), channel, sequence, user hash, check digits', () => {
    const n = samples[0];
    expect(n).toMatch(/^\d{22}$/);
    expect(n.slice(0, 8)).toBe('20261123'); // 16:30 UTC is already the 23rd in UTC+8
    expect(n.slice(8, 10)).toBe('02');
    expect(n.slice(10, 14)).toBe('0042');
    expect(n.slice(14, 20)).toBe(userHash6('user-1'));
    expect(n.slice(20)).toBe(mod97CheckDigits(n.slice(0, 20)));
    expect(datePartUtc8(Date.UTC(2026, 0, 1, 15, 59))).toBe('20260101');
    expect(datePartUtc8(Date.UTC(2026, 0, 1, 16, 0))).toBe('20260102');
    expect(orderChannelOf('mp-weixin')).toBe('mini-program');
    expect(orderChannelOf('app')).toBe('app');
    expect(orderChannelOf('web')).toBe('h5');
    expect(orderChannelOf('web', true)).toBe('admin');
    for (const s of samples) expect(isValidOrderNo(s)).toBe(true);
  });

  it('every single-digit substitution at every position is detected', () => {
    let checked = 0;
    for (const s of samples) {
      for (let i = 0; i < s.length; i++) {
        for (let d = 0; d <= 9; d++) {
          if (String(d) === s[i]) continue;
          const altered = s.slice(0, i) + d + s.slice(i + 1);
          expect(isValidOrderNo(altered)).toBe(false);
          checked++;
        }
      }
    }
    expect(checked).toBe(samples.length * 22 * 9);
  });

  it('every adjacent transposition of different digits at every position is detected', () => {
    let checked = 0;
    for (const s of samples) {
      for (let i = 0; i + 1 < s.length; i++) {
        if (s[i] === s[i + 1]) continue;
        const swapped = s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
        expect(isValidOrderNo(swapped)).toBe(false);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(samples.length * 10);
  });

  it('the properties hold for every digit pair at every position (exhaustive over positions and digit values)', () => {
    // For a fixed number, a substitution a->b at position i or a swap (a,b) at i,i+1 changes N mod 97 by a
    // non-zero amount: check all 10x10 digit pairs at all 21 adjacent positions by construction.
    const body = '2026112202004212345'; // 19 digits + 1 free digit set below
    for (let i = 0; i < 21; i++) {
      for (let a = 0; a <= 9; a++) {
        for (let b = 0; b <= 9; b++) {
          if (a === b) continue;
          const digits = (body + '0').split('');
          const full = (digits.join('') + '00').split('');
          full[i] = String(a); full[i + 1] = String(b);
          const base = full.slice(0, 20).join('');
          const valid = base + mod97CheckDigits(base);
          if (valid[i] !== String(a) || valid[i + 1] !== String(b)) continue; // check digits overwrote the pair
          const swapped = valid.slice(0, i) + valid[i + 1] + valid[i] + valid.slice(i + 2);
          expect(isValidOrderNo(swapped)).toBe(false);
        }
      }
    }
  });

  it('check digits reject anything that is not a digit string', () => {
    expect(() => mod97CheckDigits('12a')).toThrow();
    expect(isValidOrderNo('123')).toBe(false);
  });
});

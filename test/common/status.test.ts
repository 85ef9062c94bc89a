import { describe, expect, it } from 'vitest';
import { ORDER_TRANSITIONS, assertTransitionTable, canTransition } from '../../uni_modules/vk-pay/common/status';

describe('order transition table', () => {
  it('passes its own start-up check', () => {
    expect(() => assertTransitionTable()).not.toThrow();
  });
  it('refuses a table that regresses or names an unknown status', () => {
    expect(() => assertTransitionTable({ ...ORDER_TRANSITIONS, bad: { from: ['paid'], to: 'pending' } })).toThrow(/regresses/);
    expect(() => assertTransitionTable({ bad: { from: ['pending'], to: 'lost' } })).toThrow(/unknown target/);
  });
  it('allows pay only from pending and pay_after_close only from closed', () => {
    expect(canTransition('pay', 'pending')).toBe(true);
    expect(canTransition('pay', 'closed')).toBe(false);
    expect(canTransition('pay_after_close', 'closed')).toBe(true);
    expect(canTransition('close', 'paid')).toBe(false);
  });
});

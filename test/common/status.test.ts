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

describe('refund transition table', () => {
  it('passes its start-up check; held is a status of its own that can still succeed, and nothing leaves success or failed', async () => {
    const { REFUND_TRANSITIONS, assertRefundTable, canRefundTransition, REFUND_STATUSES } = await import('../../uni_modules/vk-pay/common/status');
    expect(() => assertRefundTable()).not.toThrow();
    expect(REFUND_STATUSES).toContain('held');
    expect(canRefundTransition('hold', 'processing')).toBe(true);
    expect(canRefundTransition('succeed', 'held')).toBe(true);
    expect(canRefundTransition('fail', 'held')).toBe(false); // a held refund left the merchant: a failure cannot free it
    for (const event of Object.keys(REFUND_TRANSITIONS) as Array<keyof typeof REFUND_TRANSITIONS>) {
      expect(canRefundTransition(event, 'success')).toBe(false);
      expect(canRefundTransition(event, 'failed')).toBe(false);
    }
    expect(() => assertRefundTable({ ...REFUND_TRANSITIONS, reopen: { from: ['success'], to: 'processing' } })).toThrow(/regresses/);
  });
});

describe('hook (outbox) transition table', () => {
  it('is checked when the core loads: only retry and replay go back', async () => {
    const { HOOK_TRANSITIONS } = await import('../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/hook-status');
    const { assertStatusTable } = await import('../../uni_modules/vk-pay/common/status');
    const rank = { pending: 0, running: 1, done: 2, dead: 2 };
    expect(() => assertStatusTable('hook', HOOK_TRANSITIONS, ['pending', 'running', 'done', 'dead'], rank, ['retry', 'replay'])).not.toThrow();
    expect(() => assertStatusTable('hook', HOOK_TRANSITIONS, ['pending', 'running', 'done', 'dead'], rank, ['replay'])).toThrow(/retry: running -> pending regresses/);
  });
});

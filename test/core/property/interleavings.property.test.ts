/**
 * Property: over random interleavings of pay-at-the-provider, notify, duplicate notify, query, close, refund and
 * timer runs - issued in concurrent batches against the real sandbox and database - an order's status never
 * regresses, the business hook credits at most once (exactly once when paid), refunds never exceed the payment,
 * and at the end our books agree with the provider's.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_RANK, type OrderStatus } from '../../../uni_modules/vk-pay/common/status';
import { VkPayError } from '../../../uni_modules/vk-pay/common/errors';
import { all } from '../support/db';
import { startHarness, timerNow, type Harness } from '../support/harness';
import { countingHooks, type CountingHooks } from '../support/hooks';
import { paidSandboxOrder, signedNotification } from '../support/notifications';
import type { IncomingNotification } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';

type Cmd =
  | { k: 'pay' } | { k: 'notify' } | { k: 'dup' } | { k: 'query' } | { k: 'close' } | { k: 'timer' }
  | { k: 'refund'; amount: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.constant({ k: 'pay' as const }), fc.constant({ k: 'notify' as const }), fc.constant({ k: 'dup' as const }),
  fc.constant({ k: 'query' as const }), fc.constant({ k: 'close' as const }), fc.constant({ k: 'timer' as const }),
  fc.integer({ min: 1, max: 700 }).map((amount) => ({ k: 'refund' as const, amount })),
);

const AMOUNT = 1000;
let h: Harness;
let hooks: CountingHooks;
const totals = { runs: 0, commands: 0, paidOrders: 0, transitions: 0, credits: 0, refundsSucceeded: 0, refundedFen: 0, closed: 0, unexpected: 0 };

beforeAll(async () => {
  hooks = countingHooks();
  h = await startHarness({ deps: { hooks: { modules: hooks.modules } } });
});
afterAll(async () => {
  console.log(`[figures] property: ${JSON.stringify(totals)}`);
  await h.close();
});

async function orderOf(out_trade_no: string) {
  return (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === out_trade_no)!;
}

function checkHistory(history: Array<{ event: string; to: OrderStatus }>) {
  let prev: OrderStatus = 'pending';
  for (const e of history) {
    if (e.event !== 'pay_after_close') expect(STATUS_RANK[e.to]).toBeGreaterThanOrEqual(STATUS_RANK[prev]);
    prev = e.to;
  }
  expect(history.filter((e) => e.to === 'paid').length).toBeLessThanOrEqual(1);
}

describe('random interleavings', () => {
  it('no status regression, no double credit, refunded <= paid, books agree with the provider', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(cmd, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), async (batches) => {
      totals.runs++;
      const uid = `prop${totals.runs}`;
      const { out_trade_no } = await h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: AMOUNT }, { uid });
      let last: IncomingNotification | undefined;
      let seenRank = 0;
      const run = async (c: Cmd) => {
        totals.commands++;
        try {
          switch (c.k) {
            case 'pay': h.sandbox.control.pay('wxpay', out_trade_no); break;
            case 'notify': {
              const o = h.sandbox.control.order('wxpay', out_trade_no);
              if (o?.status !== 'SUCCESS') break;
              last = signedNotification(h.creds, 'wxpay', paidSandboxOrder(h, 'wxpay', out_trade_no));
              await h.notify('wxpay', last);
              break;
            }
            case 'dup': if (last) await h.notify('wxpay', last); break;
            case 'query': await h.call('queryPayment', { out_trade_no }, { uid }); break;
            case 'close': await h.call('closeOrder', { out_trade_no }, { uid }); break;
            case 'timer': await timerNow(h); break;
            case 'refund': await h.call('refund', { out_trade_no, amount: c.amount }, { admin: true }); break;
          }
        } catch (err) {
          // Refusals with table codes are expected (refund of an unpaid order, close of a paid one, ...).
          if (!(err instanceof VkPayError) || err.code === 50000) { totals.unexpected++; throw err; }
        }
      };
      for (const batch of batches) {
        await Promise.all(batch.map(run));
        const o = await orderOf(out_trade_no);
        checkHistory(o.history);
        const rank = STATUS_RANK[o.status as OrderStatus];
        if (!(o.paid_after_close && o.status === 'paid')) expect(rank).toBeGreaterThanOrEqual(seenRank);
        seenRank = Math.max(seenRank, rank);
        expect(o.refunded_amount).toBeLessThanOrEqual(AMOUNT);
        expect(h.sandbox.control.order('wxpay', out_trade_no)?.refunded ?? 0).toBeLessThanOrEqual(AMOUNT);
      }

      // Let the provider finish (notifications, refund settlements), then one timer pass, as in production.
      await h.sandbox.control.settled(10_000);
      await timerNow(h);
      await timerNow(h);
      const o = await orderOf(out_trade_no);
      const gateway = h.sandbox.control.order('wxpay', out_trade_no)!;
      checkHistory(o.history);
      const ledger = (await all(h.t.db, 'vk_pay_points')).find((p) => p.user_id === uid);
      const credits = (ledger?.credited_orders ?? []).filter((n: string) => n === out_trade_no).length;
      const paidFamily = ['paid', 'partially_refunded', 'refunded'].includes(o.status);
      expect(credits).toBe(paidFamily ? 1 : 0);
      expect(gateway.status === 'SUCCESS').toBe(paidFamily); // never lost, never invented
      expect(o.refunded_amount + o.refund_in_flight + o.refundable_remaining).toBe(paidFamily ? AMOUNT : 0);
      expect(gateway.refunded).toBe(o.refunded_amount + o.refund_in_flight);
      expect(o.refund_in_flight).toBe(0);
      // the payment is the order's own transaction_id (unique), written by its one pay move; nothing else
      // (a second payment or an orphan) is ever recorded for it
      expect(Boolean(o.transaction_id)).toBe(paidFamily);
      if (paidFamily) expect(o.transaction_id).toBe(gateway.transaction_id);
      expect((await all(h.t.db, 'payment_transactions')).filter((t) => t.out_trade_no === out_trade_no)).toHaveLength(0);
      const refunds = (await all(h.t.db, 'refund_records')).filter((r) => r.out_trade_no === out_trade_no && r.status === 'success');
      expect(refunds.reduce((s, r) => s + r.amount, 0)).toBe(o.refunded_amount);
      if (ledger) expect(ledger.points).toBe((paidFamily ? AMOUNT : 0) - o.refunded_amount);

      totals.paidOrders += paidFamily ? 1 : 0;
      totals.transitions += o.history.length;
      totals.credits += credits;
      totals.refundsSucceeded += refunds.length;
      totals.refundedFen += o.refunded_amount;
      totals.closed += o.status === 'closed' ? 1 : 0;
    }), { numRuns: Number(process.env.VKPAY_PROPERTY_RUNS ?? 40) });
    expect(totals.unexpected).toBe(0);
  }, 400_000);
});

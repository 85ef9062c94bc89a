/**
 * "One conditional update = one atomic state change": every case fires all operations first (no await in
 * between, so they are queued together and interleave in lmdb's batched transactions), then awaits them all.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDuplicateKeyError } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { openTempDb, type TempDb } from './helpers';

let t: TempDb;
beforeEach(async () => { t = await openTempDb(); });
afterEach(async () => { await t.dispose(); });

describe('concurrent writers', () => {
  it('100 concurrent where({_id, status: pending}).update({status: paid}) -> exactly one {updated: 1}', async () => {
    const c = t.db.collection('orders');
    const { id } = await c.add({ out_trade_no: 'C1', status: 'pending' });
    const pending = Array.from({ length: 100 }, (_, i) => c.where({ _id: id, status: 'pending' }).update({ status: 'paid', by: i }));
    const results = await Promise.all(pending);
    expect(results.filter((r) => r.updated === 1)).toHaveLength(1);
    expect(results.filter((r) => r.updated === 0)).toHaveLength(99);
    const winner = results.findIndex((r) => r.updated === 1);
    expect((await c.doc(id).get()).data[0]).toMatchObject({ status: 'paid', by: winner });
  });

  it('the same through an indexed field (out_trade_no), racing pay against close: one transition wins', async () => {
    const c = t.db.collection('orders');
    await c.add({ out_trade_no: 'C2', status: 'pending' });
    const ops = Array.from({ length: 60 }, (_, i) =>
      c.where({ out_trade_no: 'C2', status: 'pending' }).update({ status: i % 2 ? 'paid' : 'closed' }));
    const results = await Promise.all(ops);
    const winners = results.map((r, i) => (r.updated === 1 ? i : -1)).filter((i) => i >= 0);
    expect(winners).toHaveLength(1);
    const final = (await c.where({ out_trade_no: 'C2' }).get()).data[0];
    expect(final.status).toBe(winners[0] % 2 ? 'paid' : 'closed');
  });

  it('a unique-index violation under 50 concurrent inserts -> exactly one succeeds, 49 get E11000', async () => {
    const c = t.db.collection('orders');
    const settled = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => c.add({ out_trade_no: 'SAME', attempt: i })));
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(49);
    expect(failed.every((f) => isDuplicateKeyError(f.reason))).toBe(true);
    expect((await c.where({ out_trade_no: 'SAME' }).count()).total).toBe(1);
  });

  it('50 concurrent inserts with a compound unique key: one per combination', async () => {
    const c = t.db.collection('orders');
    const settled = await Promise.allSettled(Array.from({ length: 50 }, (_, i) =>
      c.add({ out_trade_no: `N${i}`, user_id: 'u', biz_no: i % 5 })));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5);
    expect((await c.where({ user_id: 'u' }).count()).total).toBe(5);
  });

  it('200 concurrent _.inc(1) lose no increment', async () => {
    const c = t.db.collection('counters');
    const { id } = await c.add({ n: 0 });
    await Promise.all(Array.from({ length: 200 }, () => c.doc(id).update({ n: t.db.command.inc(1) })));
    expect((await c.doc(id).get()).data[0].n).toBe(200);
  });

  it('a guarded increment never passes its bound: 30 concurrent refunds of 100 against 1000 -> 10 succeed', async () => {
    const _ = t.db.command;
    const c = t.db.collection('orders');
    const { id } = await c.add({ out_trade_no: 'R1', total_fee: 1000, refunded_fee: 0 });
    const results = await Promise.all(Array.from({ length: 30 }, () =>
      c.where({ _id: id, refunded_fee: _.lte(900) }).update({ refunded_fee: _.inc(100) })));
    expect(results.filter((r) => r.updated === 1)).toHaveLength(10);
    expect((await c.doc(id).get()).data[0].refunded_fee).toBe(1000);
  });

  it('50 concurrent updateAndReturn on the only pending document: one gets it, the rest get null', async () => {
    const c = t.db.collection('jobs');
    await c.add({ state: 'pending' });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      c.where({ state: 'pending' }).updateAndReturn({ state: 'taken', worker: i })));
    const got = results.filter((r) => r.doc !== null);
    expect(got).toHaveLength(1);
    expect(got[0].doc).toMatchObject({ state: 'taken' });
  });

  it('a failed write in a batch does not undo the others queued with it', async () => {
    const c = t.db.collection('orders');
    await c.add({ out_trade_no: 'D1' });
    const settled = await Promise.allSettled([
      c.add({ out_trade_no: 'D2' }), c.add({ out_trade_no: 'D1' }), c.add({ out_trade_no: 'D3' }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await c.where({ out_trade_no: t.db.command.in(['D1', 'D2', 'D3']) }).count()).total).toBe(3);
  });
});

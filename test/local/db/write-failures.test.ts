/**
 * A write that fails leaves nothing behind, even though writes are callbacks of one batched lmdb transaction
 * rather than child transactions (store.ts write()): every check that can fail runs before the first put, and
 * the other writes of the same batch commit. Each failing write here would otherwise leave an index entry of a
 * document that was never stored (a later insert of the same key would then be refused as a duplicate).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDuplicateKeyError } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { openTempDb, type TempDb } from './helpers';

let t: TempDb;
beforeEach(async () => { t = await openTempDb(); });
afterEach(async () => { await t.dispose(); });

const huge = 'x'.repeat(3000); // an index key over lmdb's 1978 bytes

describe('a failing write in a batch of concurrent writes', () => {
  it('an insert whose index key is too large writes neither the document nor its other index entries', async () => {
    const c = t.db.collection('orders');
    // Issued together: one lmdb batch. The unique out_trade_no entry comes before the status entry.
    const [good1, bad, good2] = await Promise.allSettled([
      c.add({ out_trade_no: 'G1', status: 'new' }),
      c.add({ out_trade_no: 'BAD', status: huge }),
      c.add({ out_trade_no: 'G2', status: 'new' }),
    ]);
    expect(good1.status).toBe('fulfilled');
    expect(good2.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(String((bad as PromiseRejectedResult).reason)).toMatch(/maximum key size/);
    expect((await c.where({ status: 'new' }).get()).data.map((d: any) => d.out_trade_no).sort()).toEqual(['G1', 'G2']);
    expect((await c.count()).total).toBe(2);
    // No leftover unique entry for BAD: the same key is free.
    await expect(c.add({ out_trade_no: 'BAD', status: 'new' })).resolves.toHaveProperty('id');
  });

  it('an update that would make a key too large changes neither the document nor its index entries', async () => {
    const c = t.db.collection('orders');
    await c.add({ out_trade_no: 'A', status: 'old' });
    const [bad, other] = await Promise.allSettled([
      c.where({ out_trade_no: 'A' }).update({ status: huge, note: 'changed' }),
      c.add({ out_trade_no: 'B', status: 'old' }),
    ]);
    expect(bad.status).toBe('rejected');
    expect(other.status).toBe('fulfilled');
    const [a] = (await c.where({ out_trade_no: 'A' }).get()).data as any[];
    expect(a.status).toBe('old');
    expect(a.note).toBeUndefined();
    expect((await c.where({ status: 'old' }).get()).data.map((d: any) => d.out_trade_no).sort()).toEqual(['A', 'B']);
  });

  it('a document that cannot be encoded leaves no index entry', async () => {
    const c = t.db.collection('orders');
    const [bad, good] = await Promise.allSettled([
      c.add({ out_trade_no: 'ENC', status: 'new', n: 2n ** 70n }),
      c.add({ out_trade_no: 'OK', status: 'new' }),
    ]);
    expect(bad.status).toBe('rejected');
    expect(good.status).toBe('fulfilled');
    expect((await c.where({ status: 'new' }).get()).data.map((d: any) => d.out_trade_no)).toEqual(['OK']);
    await expect(c.add({ out_trade_no: 'ENC', status: 'new' })).resolves.toHaveProperty('id');
  });

  it('of two inserts of one unique key in a batch, one is refused and nothing of it remains', async () => {
    const c = t.db.collection('orders');
    const results = await Promise.allSettled([
      c.add({ out_trade_no: 'D', status: 'first' }),
      c.add({ out_trade_no: 'D', status: 'second' }),
      c.add({ out_trade_no: 'E', status: 'first' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(isDuplicateKeyError((results[1] as PromiseRejectedResult).reason)).toBe(true);
    expect((await c.where({ status: 'second' }).get()).data).toEqual([]);
    expect((await c.where({ out_trade_no: 'D' }).get()).data.map((d: any) => d.status)).toEqual(['first']);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBaseDao, formatAddTime, type BaseDao } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/dao/index';
import { isDuplicateKeyError, type Database } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { adapters } from './adapters';

describe.each(adapters)('baseDao over $name', (adapter) => {
  let db: Database;
  let dao: BaseDao;
  let dispose: () => Promise<void>;
  beforeEach(async () => {
    ({ db, dispose } = await adapter.open());
    dao = createBaseDao(db);
  });
  afterEach(async () => { await dispose(); });

  const seed = (n: number) => dao.adds({ dbName: 'items', dataJson: Array.from({ length: n }, (_, i) => ({ i, even: i % 2 === 0, fee: i * 10 })) });

  describe('add / adds', () => {
    it('add returns the new _id and stamps _add_time and _add_time_str (UTC+8)', async () => {
      const before = Date.now();
      const id = await dao.add({ dbName: 'items', dataJson: { name: 'a' } });
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      const doc = await dao.findById<any>({ dbName: 'items', id: id as string });
      expect(doc.name).toBe('a');
      expect(doc._add_time).toBeGreaterThanOrEqual(before);
      expect(doc._add_time).toBeLessThanOrEqual(Date.now());
      expect(doc._add_time_str).toBe(formatAddTime(doc._add_time));
    });

    it('formats _add_time_str in Beijing time', () => {
      expect(formatAddTime(Date.UTC(2026, 0, 31, 20, 5, 9))).toBe('2026-02-01 04:05:09');
    });

    it('cancelAddTime adds neither stamp; cancelAddTimeStr only drops the string; the caller data is not mutated', async () => {
      const data = { name: 'b' };
      const id1 = await dao.add({ dbName: 'items', dataJson: data, cancelAddTime: true });
      const id2 = await dao.add({ dbName: 'items', dataJson: data, cancelAddTimeStr: true });
      expect(data).toEqual({ name: 'b' });
      const d1 = await dao.findById<any>({ dbName: 'items', id: id1 as string });
      const d2 = await dao.findById<any>({ dbName: 'items', id: id2 as string });
      expect('_add_time' in d1 || '_add_time_str' in d1).toBe(false);
      expect(typeof d2._add_time).toBe('number');
      expect('_add_time_str' in d2).toBe(false);
    });

    it('adds returns the ids in order; a unique-index duplicate surfaces as the platform duplicate-key error', async () => {
      const ids = await dao.adds({ dbName: 'orders', dataJson: [{ out_trade_no: 'o1' }, { out_trade_no: 'o2' }] });
      expect(ids).toHaveLength(2);
      expect((await dao.findById<any>({ dbName: 'orders', id: ids![1] })).out_trade_no).toBe('o2');
      const err = await dao.add({ dbName: 'orders', dataJson: { out_trade_no: 'o1' } }).catch((e) => e);
      expect(isDuplicateKeyError(err)).toBe(true);
    });
  });

  describe('update family', () => {
    it('update returns the number of rows that changed (0 when unchanged or unmatched)', async () => {
      await seed(6);
      expect(await dao.update({ dbName: 'items', whereJson: { even: true }, dataJson: { flag: 1 } })).toBe(3);
      expect(await dao.update({ dbName: 'items', whereJson: { even: true }, dataJson: { flag: 1 } })).toBe(0);
      expect(await dao.update({ dbName: 'items', whereJson: { i: 999 }, dataJson: { flag: 2 } })).toBe(0);
    });

    it('update throws on empty whereJson or dataJson, and strips dataJson._id', async () => {
      const id = (await dao.add({ dbName: 'items', dataJson: { v: 1 } })) as string;
      await expect(dao.update({ dbName: 'items', whereJson: {}, dataJson: { v: 2 } })).rejects.toMatchObject({ code: 40001 });
      await expect(dao.update({ dbName: 'items', whereJson: { _id: id }, dataJson: {} })).rejects.toMatchObject({ code: 40001 });
      expect(await dao.update({ dbName: 'items', whereJson: { _id: id }, dataJson: { _id: 'hijack', v: 2 } })).toBe(1);
      const doc = await dao.findById<any>({ dbName: 'items', id });
      expect(doc).toMatchObject({ _id: id, v: 2 });
      expect(await dao.findById({ dbName: 'items', id: 'hijack' })).toBeNull();
    });

    it('the conditional update is the atomic state change: 100 concurrent callers, one gets 1', async () => {
      const id = (await dao.add({ dbName: 'orders', dataJson: { out_trade_no: 'x1', status: 'pending' } })) as string;
      const counts = await Promise.all(Array.from({ length: 100 }, () =>
        dao.update({ dbName: 'orders', whereJson: { _id: id, status: 'pending' }, dataJson: { status: 'paid' } })));
      expect(counts.filter((n) => n === 1)).toHaveLength(1);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    });

    it('updateById returns the count, or the updated document with getUpdateData', async () => {
      const id = (await dao.add({ dbName: 'items', dataJson: { v: 1 } })) as string;
      expect(await dao.updateById({ dbName: 'items', id, dataJson: { v: 2 } })).toBe(1);
      const doc = await dao.updateById({ dbName: 'items', id, dataJson: { v: db.command.inc(5) }, getUpdateData: true });
      expect(doc).toMatchObject({ _id: id, v: 7 });
    });

    it('updateAndReturn returns the document after the update, null when nothing matches, atomically', async () => {
      await dao.add({ dbName: 'jobs', dataJson: { state: 'pending', n: 0 } });
      const results = await Promise.all(Array.from({ length: 20 }, () =>
        dao.updateAndReturn<any>({ dbName: 'jobs', whereJson: { state: 'pending' }, dataJson: { state: 'taken', n: db.command.inc(1) } })));
      const got = results.filter((r) => r !== null);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ state: 'taken', n: 1 });
      await expect(dao.updateAndReturn({ dbName: 'jobs', whereJson: {}, dataJson: { n: 1 } })).rejects.toMatchObject({ code: 40001 });
    });
  });

  describe('reads', () => {
    it('findById and findByWhereJson return one document or null, honouring fieldJson and sortArr', async () => {
      await seed(5);
      const top = await dao.findByWhereJson<any>({ dbName: 'items', whereJson: { even: true }, sortArr: [{ name: 'i', type: 'desc' }] });
      expect(top.i).toBe(4);
      const slim = await dao.findById<any>({ dbName: 'items', id: top._id, fieldJson: { i: true } });
      expect(slim).toEqual({ _id: top._id, i: 4 });
      expect(await dao.findById({ dbName: 'items', id: 'missing' })).toBeNull();
      expect(await dao.findByWhereJson({ dbName: 'items', whereJson: { i: 99 } })).toBeNull();
    });

    it('select pages with pageIndex/pageSize; without getCount total = skipped + rows', async () => {
      await seed(25);
      const sortArr = [{ name: 'i', type: 'asc' as const }];
      const p1 = await dao.select<any>({ dbName: 'items', sortArr });
      expect(p1.rows.map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(p1).toMatchObject({ total: 10, hasMore: true, pagination: { pageIndex: 1, pageSize: 10 }, getCount: false });
      const p3 = await dao.select<any>({ dbName: 'items', sortArr, pageIndex: 3 });
      expect(p3.rows.map((r) => r.i)).toEqual([20, 21, 22, 23, 24]);
      expect(p3).toMatchObject({ total: 25, hasMore: false });
      const exact = await dao.select<any>({ dbName: 'items', sortArr, pageIndex: 5, pageSize: 5 });
      expect(exact).toMatchObject({ total: 25, hasMore: false });
      expect(exact.rows).toHaveLength(5);
    });

    it('select with getCount reports the real total and hasMore', async () => {
      await seed(25);
      const r = await dao.select<any>({ dbName: 'items', whereJson: { even: true }, pageIndex: 2, pageSize: 5, getCount: true, sortArr: [{ name: 'i', type: 'asc' }] });
      expect(r.rows.map((x) => x.i)).toEqual([10, 12, 14, 16, 18]);
      expect(r).toMatchObject({ total: 13, hasMore: true, getCount: true });
    });

    it('select pageSize -1 returns every row, past the per-request cap', async () => {
      await seed(1203);
      const r = await dao.select<any>({ dbName: 'items', pageSize: -1, sortArr: [{ name: 'i', type: 'asc' }] });
      expect(r.rows).toHaveLength(1203);
      expect(r.rows[1202].i).toBe(1202);
      expect(r.hasMore).toBe(false);
      const big = await dao.select<any>({ dbName: 'items', pageSize: 700, pageIndex: 2, sortArr: [{ name: 'i', type: 'asc' }] });
      expect(big.rows).toHaveLength(503);
      expect(big.rows[0].i).toBe(700);
    });

    it('count and sum (via aggregate), with and without whereJson', async () => {
      await seed(10);
      expect(await dao.count({ dbName: 'items' })).toBe(10);
      expect(await dao.count({ dbName: 'items', whereJson: { fee: db.command.gte(50) } })).toBe(5);
      expect(await dao.sum({ dbName: 'items', fieldName: 'fee' })).toBe(450);
      expect(await dao.sum({ dbName: 'items', fieldName: 'fee', whereJson: { even: true } })).toBe(200);
      expect(await dao.sum({ dbName: 'items', fieldName: 'fee', whereJson: { i: 99 } })).toBe(0);
      expect(await dao.count({ dbName: 'no-such-collection' })).toBe(0);
    });
  });

  describe('delete', () => {
    it('del removes by whereJson and returns the count; an empty whereJson is refused', async () => {
      await seed(6);
      await expect(dao.del({ dbName: 'items', whereJson: {} })).rejects.toMatchObject({ code: 40001 });
      expect(await dao.del({ dbName: 'items', whereJson: { even: false } })).toBe(3);
      expect(await dao.del({ dbName: 'items', whereJson: { _id: db.command.exists(true) } })).toBe(3);
      expect(await dao.count({ dbName: 'items' })).toBe(0);
    });

    it('deleteById returns 1 then 0', async () => {
      const id = (await dao.add({ dbName: 'items', dataJson: { v: 1 } })) as string;
      expect(await dao.deleteById({ dbName: 'items', id })).toBe(1);
      expect(await dao.deleteById({ dbName: 'items', id })).toBe(0);
    });
  });

  it('every method honours an explicit db parameter over the default one', async () => {
    const other = await adapter.open();
    try {
      const id = (await dao.add({ dbName: 'items', dataJson: { v: 1 }, db: other.db })) as string;
      expect(await dao.findById({ dbName: 'items', id })).toBeNull();
      expect(await dao.findById({ dbName: 'items', id, db: other.db })).toMatchObject({ v: 1 });
      expect(await dao.count({ dbName: 'items', db: other.db })).toBe(1);
    } finally {
      await other.dispose();
    }
  });
});

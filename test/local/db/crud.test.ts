import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDuplicateKeyError } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { DEFAULT_LIMIT, MAX_LIMIT } from '../../../local/db/index';
import { openTempDb, type TempDb } from './helpers';

let t: TempDb;
beforeEach(async () => { t = await openTempDb(); });
afterEach(async () => { await t.dispose(); });

describe('add and doc()', () => {
  it('generates a 24-hex _id when absent and reads the document back by doc(id)', async () => {
    const { id } = await t.db.collection('things').add({ name: 'a', n: 1 });
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const { data } = await t.db.collection('things').doc(id).get();
    expect(data).toEqual([{ _id: id, name: 'a', n: 1 }]);
  });

  it('generated ids increase in creation order, so natural order is insertion order', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await t.db.collection('things').add({ i })).id);
    expect([...ids].sort()).toEqual(ids);
    const { data } = await t.db.collection('things').get();
    expect(data.map((d) => d.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('keeps a caller-supplied _id and refuses a second document with it (E11000)', async () => {
    await t.db.collection('things').add({ _id: 'fixed', v: 1 });
    const err = await t.db.collection('things').add({ _id: 'fixed', v: 2 }).catch((e) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
    expect(err.code).toBe(11000);
    expect(err.message).toMatch(/^E11000 duplicate key error/);
    expect((await t.db.collection('things').doc('fixed').get()).data[0].v).toBe(1);
  });

  it('add(array) answers {ids, inserted} in order', async () => {
    const res = await t.db.collection('things').add([{ k: 1 }, { k: 2 }, { _id: 'c', k: 3 }]);
    expect(res.inserted).toBe(3);
    expect(res.ids).toHaveLength(3);
    expect(res.ids[2]).toBe('c');
    expect((await t.db.collection('things').count()).total).toBe(3);
  });

  it('add(array) is all-or-nothing when one document breaks a unique index', async () => {
    await t.db.collection('orders').add({ out_trade_no: 'X' });
    const err = await t.db.collection('orders').add([{ out_trade_no: 'Y' }, { out_trade_no: 'X' }]).catch((e) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
    expect((await t.db.collection('orders').where({ out_trade_no: 'Y' }).count()).total).toBe(0);
  });

  it('doc(missing).get() answers an empty data array; an unknown collection reads as empty', async () => {
    expect(await t.db.collection('things').doc('nope').get()).toEqual({ data: [] });
    expect(await t.db.collection('never-created').get()).toEqual({ data: [] });
    expect(await t.db.collection('never-created').count()).toEqual({ total: 0 });
    expect(await t.db.collection('never-created').where({ a: 1 }).update({ b: 2 })).toEqual({ updated: 0 });
  });

  it('doc(id).set replaces the whole document, keeping _id, and creates it when absent', async () => {
    const c = t.db.collection('things');
    const { id } = await c.add({ name: 'a', count: { fav: 0, follow: 0 } });
    expect(await c.doc(id).set({ name: 'b', count: { fav: 1 } })).toEqual({ updated: 1 });
    expect((await c.doc(id).get()).data[0]).toEqual({ _id: id, name: 'b', count: { fav: 1 } });
    const created = await c.doc('new-one').set({ name: 'n' });
    expect(created).toEqual({ updated: 0, upsertedId: 'new-one' });
    expect((await c.doc('new-one').get()).data[0]).toEqual({ _id: 'new-one', name: 'n' });
  });

  it('doc(id).remove and where().remove answer {deleted}', async () => {
    const c = t.db.collection('things');
    const { ids } = await c.add([{ g: 1 }, { g: 1 }, { g: 2 }]);
    expect(await c.doc(ids[2]).remove()).toEqual({ deleted: 1 });
    expect(await c.doc(ids[2]).remove()).toEqual({ deleted: 0 });
    expect(await c.where({ g: 1 }).remove()).toEqual({ deleted: 2 });
    expect((await c.count()).total).toBe(0);
  });

  it('refuses update() and remove() without where() instead of touching every document', async () => {
    const c = t.db.collection('things');
    await c.add({ a: 1 });
    await expect(c.update({ a: 2 })).rejects.toMatchObject({ code: 40001 });
    await expect(c.remove()).rejects.toMatchObject({ code: 40001 });
    expect((await c.get()).data[0].a).toBe(1);
  });

  it('stores Dates, nested arrays and nulls faithfully', async () => {
    const when = new Date('2026-01-02T03:04:05.006Z');
    const { id } = await t.db.collection('things').add({ when, list: [[1, 2], { x: null }], none: null });
    const doc = (await t.db.collection('things').doc(id).get()).data[0];
    expect(doc.when).toBeInstanceOf(Date);
    expect(doc.when.getTime()).toBe(when.getTime());
    expect(doc.list).toEqual([[1, 2], { x: null }]);
    expect(doc.none).toBeNull();
  });
});

describe('get: orderBy, skip, limit, field', () => {
  beforeEach(async () => {
    await t.db.collection('nums').add(Array.from({ length: 600 }, (_, i) => ({ n: i, parity: i % 2 ? 'odd' : 'even', big: { v: 600 - i } })));
  });

  it(`returns ${DEFAULT_LIMIT} documents without limit(), and at most ${MAX_LIMIT} with a larger one`, async () => {
    expect((await t.db.collection('nums').get()).data).toHaveLength(DEFAULT_LIMIT);
    expect((await t.db.collection('nums').limit(1000).get()).data).toHaveLength(MAX_LIMIT);
    expect((await t.db.collection('nums').limit(7).get()).data).toHaveLength(7);
  });

  it('orders by several fields in call order, including dotted paths, then skips and limits', async () => {
    const { data } = await t.db.collection('nums').where({ n: t.db.command.lt(10) })
      .orderBy('parity', 'asc').orderBy('n', 'desc').skip(1).limit(3).get();
    expect(data.map((d) => d.n)).toEqual([6, 4, 2]);
    const byNested = await t.db.collection('nums').orderBy('big.v', 'asc').limit(2).get();
    expect(byNested.data.map((d) => d.n)).toEqual([599, 598]);
  });

  it('field() includes only the named fields plus _id, or excludes them; mixing is refused', async () => {
    const inc = (await t.db.collection('nums').where({ n: 3 }).field({ n: true }).get()).data[0];
    expect(Object.keys(inc).sort()).toEqual(['_id', 'n']);
    const noId = (await t.db.collection('nums').where({ n: 3 }).field({ n: true, _id: false }).get()).data[0];
    expect(noId).toEqual({ n: 3 });
    const exc = (await t.db.collection('nums').where({ n: 3 }).field({ big: false }).get()).data[0];
    expect(Object.keys(exc).sort()).toEqual(['_id', 'n', 'parity']);
    expect(() => t.db.collection('nums').field({ n: true, big: false })).toThrow();
  });

  it('builders are immutable: a shared base query is not changed by chaining on it', async () => {
    const base = t.db.collection('nums').where({ parity: 'odd' });
    const few = base.limit(2);
    expect((await few.get()).data).toHaveLength(2);
    expect((await base.count()).total).toBe(300);
    expect((await base.get()).data).toHaveLength(DEFAULT_LIMIT);
  });
});

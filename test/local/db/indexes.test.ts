import { join } from 'node:path';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isDuplicateKeyError } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { openLocalDatabase } from '../../../local/db/index';
import { compileWhere } from '../../../local/db/command';
import { loadIndexSpecs } from '../../../local/db/index-spec';
import { DocumentStore } from '../../../local/db/store';
import { FIXTURE_INDEX_DIR, openTempDb, type TempDb } from './helpers';

let t: TempDb;
beforeEach(async () => { t = await openTempDb(); });
afterEach(async () => { await t.dispose(); });

describe('unique indexes from <collection>.index.json', () => {
  it('refuses a duplicate on insert with a MongoDB-shaped E11000 error naming the index and key', async () => {
    await t.db.collection('orders').add({ out_trade_no: 'T1' });
    const err = await t.db.collection('orders').add({ out_trade_no: 'T1' }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(11000);
    expect(err.message).toBe('E11000 duplicate key error collection: local.orders index: out_trade_no dup key: { out_trade_no: "T1" }');
    expect(isDuplicateKeyError(err)).toBe(true);
  });

  it('refuses an update that would collide, and leaves the document as it was', async () => {
    const c = t.db.collection('orders');
    await c.add({ out_trade_no: 'A' });
    const { id } = await c.add({ out_trade_no: 'B', note: 'keep' });
    const err = await c.doc(id).update({ out_trade_no: 'A', note: 'lost' }).catch((e) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
    expect((await c.doc(id).get()).data[0]).toMatchObject({ out_trade_no: 'B', note: 'keep' });
    // moving a value away frees it for another document
    await c.doc(id).update({ out_trade_no: 'C' });
    await expect(c.add({ out_trade_no: 'B' })).resolves.toHaveProperty('id');
  });

  it('a compound unique index constrains the combination, not each field', async () => {
    const c = t.db.collection('orders');
    await c.add([{ out_trade_no: 'c1', user_id: 'u1', biz_no: 1 }, { out_trade_no: 'c2', user_id: 'u1', biz_no: 2 }, { out_trade_no: 'c3', user_id: 'u2', biz_no: 1 }]);
    const err = await c.add({ out_trade_no: 'c4', user_id: 'u1', biz_no: 2 }).catch((e) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
    expect(err.message).toContain('index: user_id_biz dup key: { user_id: "u1", biz_no: 2 }');
  });

  it('non-sparse: a missing field counts as null, so only one document may lack it (MongoDB)', async () => {
    const c = t.db.collection('orders');
    await c.add({ other: 1 });
    expect(isDuplicateKeyError(await c.add({ other: 2 }).catch((e) => e))).toBe(true);
  });

  it('sparse: documents without the field are not indexed, documents with it stay unique', async () => {
    const c = t.db.collection('orders');
    await c.add([{ out_trade_no: 'p1', user_id: 'a' }, { out_trade_no: 'p2', user_id: 'b' }]);
    await c.add({ out_trade_no: 'p3', user_id: 'c', contact: { email: 'x@y' } });
    const err = await c.add({ out_trade_no: 'p4', user_id: 'd', contact: { email: 'x@y' } }).catch((e) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
  });

  it('a multi-document update that would give two documents one unique value changes neither', async () => {
    const c = t.db.collection('orders');
    await c.add([{ out_trade_no: 'm1', status: 'x' }, { out_trade_no: 'm2', status: 'x' }]);
    const err = await c.where({ status: 'x' }).update({ out_trade_no: 'same' }).catch((e) => e);
    expect(isDuplicateKeyError(err)).toBe(true);
    expect((await c.where({ status: 'x' }).orderBy('out_trade_no', 'asc').get()).data.map((d) => d.out_trade_no)).toEqual(['m1', 'm2']);
  });

  it('doc().set and remove keep the index in step', async () => {
    const c = t.db.collection('orders');
    const { id } = await c.add({ out_trade_no: 'S1', user_id: 's' });
    await c.doc(id).set({ out_trade_no: 'S2', user_id: 's' });
    await expect(c.add({ out_trade_no: 'S1', user_id: 't' })).resolves.toBeTruthy();
    await c.where({ out_trade_no: 'S2' }).remove();
    await expect(c.add({ out_trade_no: 'S2', user_id: 'u' })).resolves.toBeTruthy();
  });

  it('an index file added later is built over existing data on the next open, and a violation there is reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vkpay-idx-'));
    try {
      const path = join(dir, 'db');
      const idxDir = join(dir, 'indexes');
      let db = await openLocalDatabase({ path, indexDir: idxDir });
      await db.collection('late').add([{ code: 'a' }, { code: 'b' }, { code: 'b' }]);
      await db.close();
      const spec = JSON.stringify([{ IndexName: 'code', MgoKeySchema: { MgoIndexKeys: [{ Name: 'code', Direction: '1' }], MgoIsUnique: true } }]);
      mkdirSync(idxDir, { recursive: true });
      writeFileSync(join(idxDir, 'late.index.json'), spec);
      const err = await openLocalDatabase({ path, indexDir: idxDir }).catch((e) => e);
      expect(isDuplicateKeyError(err)).toBe(true);
      writeFileSync(join(idxDir, 'late.index.json'), spec.replace('"MgoIsUnique":true', '"MgoIsUnique":false'));
      db = await openLocalDatabase({ path, indexDir: idxDir });
      expect((await db.collection('late').where({ code: 'b' }).count()).total).toBe(2);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('index entry layout', () => {
  it('a database whose unique entries carry the _id in the key (layout 1) has them rebuilt when it is opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vkpay-layout-'));
    try {
      const path = join(dir, 'db');
      // Written as layout 1 did: unique keys [coll, index, value, _id], the declarations stored alone.
      mkdirSync(path, { recursive: true });
      const root = open({ path: join(path, 'data.mdb'), maxDbs: 8 });
      const docs = root.openDB({ name: 'docs' });
      const idx = root.openDB({ name: 'idx' });
      const meta = root.openDB({ name: 'meta' });
      const specs = loadIndexSpecs(FIXTURE_INDEX_DIR).get('orders')!;
      await root.transaction(() => {
        docs.putSync(['orders', 'd1'], { _id: 'd1', out_trade_no: 'L1', status: 'paid' });
        idx.putSync(['orders', 'out_trade_no', 'L1', 'd1'] as any, 'd1');
        idx.putSync(['orders', 'status', 'paid', 'd1'] as any, 'd1');
        meta.putSync(['indexes', 'orders'], JSON.stringify(specs));
      });
      await root.close();
      const db = await openLocalDatabase({ path, indexDir: FIXTURE_INDEX_DIR });
      try {
        const c = db.collection('orders');
        expect((await c.where({ out_trade_no: 'L1' }).get()).data.map((d) => d._id)).toEqual(['d1']);
        expect(isDuplicateKeyError(await c.add({ out_trade_no: 'L1' }).catch((e) => e))).toBe(true);
        await c.add({ out_trade_no: 'L2', status: 'paid' });
        expect((await c.where({ status: 'paid' }).count()).total).toBe(2);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('index lookups for equality queries', () => {
  it('plans _id, indexed-equality and compound-prefix lookups without a scan, and scans otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vkpay-plan-'));
    const store = await DocumentStore.open(join(dir, 'data.mdb'), loadIndexSpecs(FIXTURE_INDEX_DIR));
    try {
      const plan = (w: Record<string, any>) => store.plan('orders', compileWhere(w));
      expect(plan({ _id: 'x', status: 'pending' }).kind).toBe('id');
      expect(plan({ out_trade_no: 'T1' })).toMatchObject({ kind: 'index', spec: { name: 'out_trade_no' }, values: ['T1'] });
      expect(plan({ user_id: 'u1', biz_no: 2 })).toMatchObject({ kind: 'index', spec: { name: 'user_id_biz' }, values: ['u1', 2] });
      expect(plan({ user_id: 'u1' })).toMatchObject({ kind: 'index', spec: { name: 'user_id_biz' }, values: ['u1'] });
      expect(plan({ contact: { email: 'e' } })).toMatchObject({ kind: 'index', spec: { name: 'email' } });
      expect(plan({ biz_no: 2 }).kind).toBe('scan');
      expect(plan({ out_trade_no: /T/ }).kind).toBe('scan');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('indexed lookups return exactly what a scan would (non-unique, multikey and compound prefix)', async () => {
    const c = t.db.collection('orders');
    await c.add([
      { out_trade_no: 'o1', status: 'paid', user_id: 'u1', biz_no: 1 },
      { out_trade_no: 'o2', status: ['paid', 'flagged'], user_id: 'u1', biz_no: 2 },
      { out_trade_no: 'o3', status: 'pending', user_id: 'u2', biz_no: 1 },
    ]);
    const nos = async (w: Record<string, any>) => (await c.where(w).get()).data.map((d) => d.out_trade_no).sort();
    expect(await nos({ status: 'paid' })).toEqual(['o1', 'o2']);
    expect(await nos({ status: 'flagged' })).toEqual(['o2']);
    expect(await nos({ user_id: 'u1' })).toEqual(['o1', 'o2']);
    expect(await nos({ user_id: 'u1', biz_no: 2, status: 'paid' })).toEqual(['o2']);
    expect(await nos({ out_trade_no: 'o3', status: 'paid' })).toEqual([]);
    await c.where({ out_trade_no: 'o1' }).update({ status: 'refunded' });
    expect(await nos({ status: 'paid' })).toEqual(['o2']);
    expect(await nos({ status: 'refunded' })).toEqual(['o1']);
  });

  it('documents found through an index come back in insertion order, as a scan returns them', async () => {
    const c = t.db.collection('orders');
    for (const n of ['z', 'a', 'm', 'b']) await c.add({ out_trade_no: n, status: 'paid' });
    expect((await c.where({ status: 'paid' }).get()).data.map((d) => d.out_trade_no)).toEqual(['z', 'a', 'm', 'b']);
  });
});

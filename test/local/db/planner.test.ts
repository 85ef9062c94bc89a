/**
 * The planner (local/db/planner.ts) uses `_id` or an index for conditions inside `$and` (a where() with two
 * `_.or` conditions compiles to `$and` of `$or`s) and for an `$or` whose every branch is indexable, and the
 * candidates it picks never change a result: every query returns exactly what a full scan returns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWhere, createCommand } from '../../../local/db/command';
import { loadIndexSpecs } from '../../../local/db/index-spec';
import type { Plan } from '../../../local/db/planner';
import { DocumentStore } from '../../../local/db/store';
import { FIXTURE_INDEX_DIR } from './helpers';

const _ = createCommand();
let dir: string;
let store: DocumentStore;

const STATUSES = ['pending', 'paid', 'closed'];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vkpay-planner-'));
  store = await DocumentStore.open(join(dir, 'data.mdb'), loadIndexSpecs(FIXTURE_INDEX_DIR));
  const docs = Array.from({ length: 60 }, (_x, i) => ({
    _id: `d${String(i).padStart(2, '0')}`,
    out_trade_no: `T${i}`,
    // every fifth document holds an array status (a multikey entry per element)
    status: i % 5 === 0 ? [STATUSES[i % 3], 'flagged'] : STATUSES[i % 3],
    ...(i % 4 === 0 ? {} : { user_id: `u${i % 6}`, biz_no: i }),
    n: i,
  }));
  await store.insert('orders', docs);
});
afterAll(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });

const plan = (w: unknown) => store.plan('orders', compileWhere(w));
/** Leaves of a plan, as "kind:index=values" strings, to say which reads it makes. */
function leaves(p: Plan): string[] {
  if (p.kind === 'union') return p.branches.flatMap(leaves);
  if (p.kind === 'index') return [`index:${p.spec.name}=${p.values.join(',')}`];
  if (p.kind === 'id') return p.ids.map((id) => `id:${String(id)}`);
  return ['scan'];
}
/** The same filter, planned as a scan: `$nor` of `$nor` means the filter but hides it from the planner. */
const scanned = (f: Record<string, unknown>) => store.find('orders', { $nor: [{ $nor: [f] }] }).map((d) => d._id);

describe('planner: conditions inside $and and $or', () => {
  it('a where() with two _.or conditions ($and of $or) reads by index, not by scan', () => {
    const f = compileWhere({ out_trade_no: _.or(_.eq('T1'), _.eq('T2')), status: _.or(_.eq('pending'), _.eq('paid')) });
    expect(Object.keys(f)).toEqual(['$and']);
    expect(leaves(store.plan('orders', f))).toEqual(['index:out_trade_no=T1', 'index:out_trade_no=T2']);
    expect(store.find('orders', f).map((d) => d._id)).toEqual(scanned(f));
  });

  it('an _id or an indexed equality inside a top-level $and is used', () => {
    expect(plan(_.and([{ status: 'paid' }, { _id: 'd07' }]))).toEqual({ kind: 'id', ids: ['d07'] });
    expect(plan({ _id: _.or(_.eq('d01'), _.eq('d02')), status: _.or(_.eq('paid'), _.eq('closed')) }).kind).not.toBe('scan');
    expect(leaves(plan(_.and([{ n: _.gt(3) }, { out_trade_no: 'T9' }])))).toEqual(['index:out_trade_no=T9']);
    expect(leaves(plan(_.and([{ user_id: 'u1' }, _.and([{ biz_no: 1 }, { n: _.lt(50) }])])))).toEqual(['index:user_id_biz=u1,1']);
  });

  it('$in on an indexed field or _id reads each value; $in: [] reads nothing', () => {
    expect(leaves(plan({ status: _.in(['paid', 'closed']) }))).toEqual(['index:status=paid', 'index:status=closed']);
    expect(plan({ _id: _.in(['d01', 'd02']), n: _.gt(0) })).toEqual({ kind: 'id', ids: ['d01', 'd02'] });
    expect(leaves(plan({ user_id: _.in(['u1', 'u2']), biz_no: 3 }))).toEqual(['index:user_id_biz=u1,3', 'index:user_id_biz=u2,3']);
    expect(plan({ status: _.in([]) })).toEqual({ kind: 'union', branches: [] });
    expect(store.find('orders', compileWhere({ status: _.in([]) }))).toEqual([]);
  });

  it('an $or is a union only when every branch is indexable; the cheapest choice wins', () => {
    expect(leaves(plan(_.or([{ out_trade_no: 'T3' }, { _id: 'd04' }, { user_id: 'u2', biz_no: 2 }])))).toEqual(['index:out_trade_no=T3', 'id:d04', 'index:user_id_biz=u2,2']);
    expect(plan(_.or([{ out_trade_no: 'T3' }, { n: 4 }])).kind).toBe('scan');
    // an unindexable $or beside an indexed equality: the equality's index
    expect(leaves(plan({ status: 'paid', n: _.or(_.eq(1), _.eq(2)) }))).toEqual(['index:status=paid']);
    // a status index read vs two unique-key reads: the unique keys
    expect(leaves(plan({ status: 'paid', out_trade_no: _.in(['T1', 'T2']) }))).toEqual(['index:out_trade_no=T1', 'index:out_trade_no=T2']);
  });

  it('multikey: two equalities on one array field inside $and are not intersected away', () => {
    const f = compileWhere(_.and([{ status: 'paid' }, { status: 'flagged' }]));
    const got = store.find('orders', f).map((d) => d._id);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(scanned(f));
  });

  it('numeric bounds on the field after an index\'s given fields narrow its key-range read (one day of one channel)', () => {
    const f = compileWhere({ user_id: 'u1', biz_no: _.gte(10).and(_.lt(40)) });
    expect(plan({ user_id: 'u1', biz_no: _.gte(10).and(_.lt(40)) })).toMatchObject({ kind: 'index', spec: { name: 'user_id_biz' }, values: ['u1'], range: { low: 10, high: 40 } });
    const got = store.find('orders', f).map((d) => d._id);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(scanned(f));
    // bounds at the edges: 13 and 37 are u1's (i % 6 === 1), inclusive and exclusive as asked
    const edge = compileWhere({ user_id: 'u1', biz_no: _.gte(13).and(_.lte(37)) });
    expect(store.find('orders', edge).map((d) => d.biz_no)).toEqual(scanned(edge).map((id) => Number(String(id).slice(1))));
    expect(store.find('orders', compileWhere({ user_id: 'u1', biz_no: _.gt(13).and(_.lt(37)) })).map((d) => d.biz_no)).not.toContain(13);
  });

  it('any mix of $and, $or, equalities and $in returns exactly what a scan returns (property)', () => {
    const leaf = fc.oneof(
      fc.record({ out_trade_no: fc.integer({ min: 0, max: 70 }).map((i) => `T${i}`) }),
      fc.record({ _id: fc.integer({ min: 0, max: 70 }).map((i) => `d${String(i).padStart(2, '0')}`) }),
      fc.record({ status: fc.constantFrom(...STATUSES, 'flagged') }),
      fc.record({ status: fc.record({ $in: fc.subarray([...STATUSES, 'flagged']) }) }),
      fc.record({ user_id: fc.integer({ min: 0, max: 6 }).map((i) => `u${i}`), biz_no: fc.integer({ min: 0, max: 60 }) }),
      fc.record({ user_id: fc.record({ $in: fc.array(fc.integer({ min: 0, max: 6 }).map((i) => `u${i}`), { maxLength: 3 }) }) }),
      fc.record({ n: fc.record({ $gte: fc.integer({ min: 0, max: 60 }) }) }),
      // an index's given field then numeric bounds on its next one (a key-range read narrowed by the bounds)
      fc.record({ user_id: fc.integer({ min: 0, max: 6 }).map((i) => `u${i}`), biz_no: fc.record({ $gte: fc.integer({ min: 0, max: 60 }), $lt: fc.integer({ min: 0, max: 60 }) }) }),
      fc.record({ user_id: fc.integer({ min: 0, max: 6 }).map((i) => `u${i}`), biz_no: fc.record({ $lte: fc.integer({ min: -5, max: 65 }) }, { requiredKeys: [] }) }),
    );
    const filter = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('and'), tie('or')),
      and: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((items) => ({ $and: items })),
      or: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((items) => ({ $or: items })),
    })).node as fc.Arbitrary<Record<string, unknown>>;
    let indexed = 0;
    fc.assert(fc.property(filter, (f) => {
      if (store.plan('orders', f).kind !== 'scan') indexed++;
      expect(store.find('orders', f).map((d) => d._id)).toEqual(scanned(f));
      expect(store.count('orders', f)).toBe(scanned(f).length);
    }), { numRuns: 300 });
    expect(indexed).toBeGreaterThan(100);
  });
});

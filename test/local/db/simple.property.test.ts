/**
 * The store's fast paths (local/db/simple.ts) against mingo, the reference for MongoDB semantics: on random
 * documents (scalars, arrays, null, missing fields, nested objects) every filter the fast matcher accepts gives
 * mingo's answer, and every modifier the fast updater accepts leaves the same document and reports a change
 * exactly when mingo does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileQuery, mingoModify } from '../../../local/db/mingo';
import { simpleMatcher, simpleModify } from '../../../local/db/simple';

const FIELDS = ['a', 'b', 'c'];
const scalar = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('x', 'y', ''), fc.boolean(), fc.constant(null));
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ k: scalar }).map((o) => ({ ...o })) },
);
const doc = fc.record({ a: value, b: value, c: value }, { requiredKeys: [] }).map((o) => ({ ...o }));

const numeric = fc.integer({ min: -3, max: 3 });
const fieldCond: fc.Arbitrary<unknown> = fc.oneof(
  scalar,
  scalar.map((v) => ({ $eq: v })),
  scalar.map((v) => ({ $ne: v })),
  fc.array(scalar, { maxLength: 3 }).map((v) => ({ $in: v })),
  fc.array(scalar, { maxLength: 3 }).map((v) => ({ $nin: v })),
  fc.tuple(fc.constantFrom('$gt', '$gte', '$lt', '$lte'), numeric).map(([op, v]) => ({ [op]: v })),
  fc.tuple(numeric, numeric).map(([lo, hi]) => ({ $gte: lo, $lte: hi })),
  fc.boolean().map((v) => ({ $exists: v })),
);
const flat = fc.dictionary(fc.constantFrom(...FIELDS), fieldCond, { maxKeys: 3 }).map((o) => ({ ...o }));
const filter: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 3, arbitrary: flat },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('$and', '$or'), fc.array(flat, { minLength: 1, maxLength: 3 })).map(([op, fs]) => ({ [op]: fs })) },
);

const modifier = fc.record({
  $set: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 2 }),
  $inc: fc.dictionary(fc.constantFrom('n', 'm'), fc.integer({ min: -2, max: 2 }), { maxKeys: 1 }),
  $push: fc.dictionary(fc.constantFrom('l'), fc.array(scalar, { maxLength: 2 }).map((each) => ({ $each: each })), { maxKeys: 1 }),
  $unset: fc.dictionary(fc.constantFrom(...FIELDS), fc.constant(''), { maxKeys: 1 }),
}, { requiredKeys: [] }).map((m) => {
  // one operator per field, as MongoDB requires
  const seen = new Set<string>();
  const out: Record<string, Record<string, unknown>> = {};
  for (const [op, expr] of Object.entries(m)) {
    const kept = Object.fromEntries(Object.entries(expr as Record<string, unknown>).filter(([f]) => !seen.has(f) && seen.add(f)));
    if (Object.keys(kept).length) out[op] = kept;
  }
  return out;
});
const updatable = fc.record({ a: value, b: value, n: fc.integer({ min: -5, max: 5 }), l: fc.array(scalar, { maxLength: 2 }) }, { requiredKeys: [] }).map((o) => ({ ...o }));

describe('local/db fast paths agree with mingo', () => {
  it('filters: the fast matcher answers exactly as mingo', () => {
    let covered = 0;
    fc.assert(fc.property(doc, filter, (d, f) => {
      const fast = simpleMatcher(f);
      if (!fast) return;
      covered++;
      expect(fast(d), JSON.stringify({ d, f })).toBe(compileQuery(f).test(d));
    }), { numRuns: Number(process.env.VKPAY_PROPERTY_RUNS ?? 3000) });
    expect(covered).toBeGreaterThan(2000); // the fast path really is the common case
  });

  it('modifiers: the fast updater leaves the same document and reports a change exactly when mingo does', () => {
    let covered = 0;
    fc.assert(fc.property(updatable, modifier, (d, m) => {
      const fastDoc = structuredClone(d);
      const fast = simpleModify(fastDoc, m);
      if (!fast) return;
      covered++;
      const refDoc = structuredClone(d);
      const ref = mingoModify(refDoc, m, {});
      expect(fastDoc, JSON.stringify({ d, m })).toEqual(refDoc);
      expect(fast.length > 0, JSON.stringify({ d, m })).toBe(ref.length > 0);
    }), { numRuns: Number(process.env.VKPAY_PROPERTY_RUNS ?? 2000) });
    expect(covered).toBeGreaterThan(1000);
  });

  it('anything outside the subset goes to mingo', () => {
    expect(simpleMatcher({ 'a.b': 1 })).toBeNull();
    expect(simpleMatcher({ a: { $regex: 'x' } })).toBeNull();
    expect(simpleMatcher({ a: [1, 2] })).toBeNull();
    expect(simpleMatcher({ a: { $gt: 'x' } })).toBeNull();
    expect(simpleMatcher({ $nor: [{ a: 1 }] })).toBeNull();
    expect(simpleModify({ a: 'x' }, { $inc: { a: 1 } })).toBeNull();
    expect(simpleModify({}, { $set: { 'a.b': 1 } })).toBeNull();
    expect(simpleModify({}, { $push: { l: { $each: [1], $position: 0 } } })).toBeNull();
    expect(simpleModify({}, { $pop: { l: 1 } })).toBeNull();
  });
});

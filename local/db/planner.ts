/**
 * The query planner of the embedded store: which documents to read for a filter. A plan only chooses a SUPERSET
 * of the matching documents; mingo still tests every candidate against the whole filter, so a plan can be
 * imprecise but never wrong.
 *
 * Conditions that are ANDed - the top level, and the items of `$and` at any depth (a where() with two `_.or`
 * conditions compiles to `$and` of `$or`s, and uniCloud-style merging puts plain equalities in there too) - are
 * pooled. From the pool, a field's candidate values come from an equality (`a: 1`, `a: {$eq: 1}`) or an `$in` of
 * scalars; `_id` gives direct reads, an index gives a key-range read per value tuple of its leading fields, and
 * an `$or` whose every branch plans without a scan gives the union of its branches. The cheapest one wins.
 * After an index's given leading fields, numeric bounds on its next field (`$gt`/`$gte`/`$lt`/`$lte`, e.g. the
 * orders paid in one day: `channel` given, `paid_at` between two times) narrow the key-range read to those
 * values. The bounds of every ANDed condition are intersected: right for scalar fields (the only ones vk-pay
 * ranges over); a document whose ranged field is an ARRAY with elements on both sides of a two-sided range
 * would be missed.
 */
import { isPlainObject } from './command';
import { isIndexableScalar, type IndexSpec, type KeyPart } from './index-spec';

export type Plan =
  | { kind: 'id'; ids: unknown[] }
  /** `range`: the index field after the given `values` lies within these numbers (either bound may be open) */
  | { kind: 'index'; spec: IndexSpec; values: KeyPart[]; range?: NumberRange }
  /** the candidates of every branch: an `$or`, or an `$in` over an indexed field */
  | { kind: 'union'; branches: Plan[] }
  | { kind: 'scan' };

type Filter = Record<string, unknown>;
export interface NumberRange { low?: number; high?: number }

/** An index lookup may expand an `$in` (or several) into at most this many key ranges before a scan is cheaper. */
const MAX_TUPLES = 256;

/** The values a field may take under one condition, or undefined when the condition does not pin it down. */
function allowedValues(field: string, cond: unknown): unknown[] | undefined {
  const usable = field === '_id' ? isIdValue : isIndexableScalar;
  if (!isPlainObject(cond)) return usable(cond) ? [cond] : undefined;
  if ('$eq' in cond) return usable(cond.$eq) ? [cond.$eq] : undefined;
  if (Array.isArray(cond.$in) && cond.$in.every(usable)) return cond.$in;
  return undefined;
}

function isIdValue(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'number';
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Narrows `ranges[field]` by a condition's numeric bounds. */
function bound(ranges: Map<string, NumberRange>, field: string, cond: unknown): void {
  if (!isPlainObject(cond)) return;
  const r = { ...ranges.get(field) };
  let narrowed = false;
  for (const op of ['$gt', '$gte'] as const) if (finite(cond[op])) { r.low = Math.max(r.low ?? -Infinity, cond[op] as number); narrowed = true; }
  for (const op of ['$lt', '$lte'] as const) if (finite(cond[op])) { r.high = Math.min(r.high ?? Infinity, cond[op] as number); narrowed = true; }
  if (narrowed) ranges.set(field, r);
}

/** Pools the ANDed conditions of `filter` (top level and nested `$and`): pinned values and numeric bounds by field, and the `$or`s. */
function pool(filter: Filter, values: Map<string, unknown[]>, ors: Filter[][], ranges: Map<string, NumberRange> = new Map()): void {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainObject(sub)) pool(sub, values, ors, ranges);
    } else if (key === '$or' && Array.isArray(cond)) {
      ors.push(cond as Filter[]);
    } else if (!key.startsWith('$')) {
      bound(ranges, key, cond);
      const allowed = allowedValues(key, cond);
      if (!allowed) continue;
      const prev = values.get(key);
      // Two conditions on one field: either one's values give a superset. Not their intersection: on an array
      // (multikey) field `tags: 'a'` AND `tags: 'b'` both hold for ['a', 'b'].
      if (!prev || allowed.length < prev.length) values.set(key, [...new Set(allowed)]);
    }
  }
}

/** Rough cost: documents or key ranges read. Reads by _id and by a fully given unique key cost about one each. */
export function planCost(plan: Plan): number {
  switch (plan.kind) {
    case 'id': return plan.ids.length;
    case 'index': return plan.spec.unique && plan.values.length === plan.spec.fields.length ? 1.5 : 50 / (plan.values.length + (plan.range ? 0.5 : 0));
    case 'union': return plan.branches.reduce((n, b) => n + planCost(b), 0);
    default: return Infinity;
  }
}

function indexPlan(spec: IndexSpec, values: Map<string, unknown[]>, ranges: Map<string, NumberRange>): Plan | undefined {
  // most indexes of a collection: the filter misses their lead field
  if (!values.has(spec.fields[0]) && !ranges.has(spec.fields[0])) return undefined;
  let tuples: KeyPart[][] = [[]];
  for (const f of spec.fields) {
    const allowed = values.get(f);
    if (!allowed || tuples.length * allowed.length > MAX_TUPLES) break;
    tuples = tuples.flatMap((t) => allowed.map((v) => [...t, v as KeyPart]));
  }
  const next = spec.fields[tuples[0].length];
  const range = next === undefined ? undefined : ranges.get(next);
  if (tuples[0].length === 0 && !range) return undefined;
  const plans: Plan[] = tuples.map((values) => (range ? { kind: 'index', spec, values, range } : { kind: 'index', spec, values }));
  return plans.length === 1 ? plans[0] : { kind: 'union', branches: plans };
}

/** `cond`'s one value when it pins a field to a scalar a key can hold (`a: 1`, `a: {$eq: 1}`), else undefined. */
function pinnedScalar(cond: unknown): KeyPart | undefined {
  const v = isPlainObject(cond) ? (Object.keys(cond).length === 1 ? cond.$eq : undefined) : cond;
  return isIndexableScalar(v) ? (v as KeyPart) : undefined;
}

/**
 * The plan of the commonest filters without pooling them: top-level equalities that name one document, by `_id`
 * or by every field of a unique index (the first in declaration order, as planQuery's tie-break picks). Nothing
 * plans cheaper than those but an `$in: []` elsewhere in the filter, whose empty answer the matcher still gives.
 */
function directPlan(filter: Filter, specs: IndexSpec[]): Plan | undefined {
  const id = filter._id;
  if (typeof id === 'string' || typeof id === 'number') return { kind: 'id', ids: [id] };
  if ('_id' in filter) return undefined;
  for (const spec of specs) {
    if (!spec.unique) continue;
    const values: KeyPart[] = [];
    for (const f of spec.fields) {
      const v = pinnedScalar(filter[f]);
      if (v === undefined) break;
      values.push(v);
    }
    if (values.length === spec.fields.length) return { kind: 'index', spec, values };
  }
  return undefined;
}

/** The cheapest way to find a superset of the documents matching `filter` in a collection with `specs`. */
export function planQuery(filter: Filter, specs: IndexSpec[]): Plan {
  const direct = directPlan(filter, specs);
  if (direct) return direct;
  const values = new Map<string, unknown[]>();
  const ors: Filter[][] = [];
  const ranges = new Map<string, NumberRange>();
  pool(filter, values, ors, ranges);
  // `$in: []` matches nothing at all: no candidates.
  for (const allowed of values.values()) if (allowed.length === 0) return { kind: 'union', branches: [] };
  const options: Plan[] = [];
  const ids = values.get('_id');
  if (ids) options.push({ kind: 'id', ids });
  for (const spec of specs) {
    const p = indexPlan(spec, values, ranges);
    if (p) options.push(p);
  }
  for (const branches of ors) {
    const planned = branches.map((b) => (isPlainObject(b) ? planQuery(b, specs) : ({ kind: 'scan' } as Plan)));
    if (planned.every((p) => p.kind !== 'scan')) options.push({ kind: 'union', branches: planned });
  }
  let best: Plan = { kind: 'scan' };
  // Ties keep the earlier option: _id first, then indexes in declaration order (the old planner's choice).
  for (const p of options) if (planCost(p) < planCost(best)) best = p;
  return best;
}

/**
 * Fast paths for the filters and modifiers the store sees on nearly every call: top-level fields compared with
 * scalars (`out_trade_no: 'X'`, `status: {$in: [...]}`, `hook_next_at: {$lte: t}`, `refunds_done: {$nin: [r]}`)
 * and `$set` / `$inc` / `$push` / `$unset` of top-level fields. Each keeps MongoDB's semantics exactly (an array
 * field matches when one of its elements does; a missing field equals null; comparisons only between numbers)
 * and returns null for anything else, which then goes to mingo. Building a mingo Query or running its updater
 * costs tens of microseconds per call; these cost about one. test/local/db/simple.property.test.ts holds both
 * to the same answers on random documents, filters and modifiers.
 */
type Doc = Record<string, any>;
type Test = (doc: Doc) => boolean;

const isScalar = (v: unknown): v is string | number | boolean | null =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const plainField = (k: string) => k.length > 0 && !k.startsWith('$') && !k.includes('.');
const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** MongoDB equality with a scalar: the value itself, or an element of an array value; null also matches missing. */
function equals(d: unknown, v: string | number | boolean | null): boolean {
  if (v === null) return d === null || d === undefined || (Array.isArray(d) && d.some((e) => e === null));
  return d === v || (Array.isArray(d) && d.some((e) => e === v));
}

function compare(d: unknown, op: string, v: number): boolean {
  const one = (x: unknown) => isNumber(x) && (op === '$gt' ? x > v : op === '$gte' ? x >= v : op === '$lt' ? x < v : x <= v);
  return one(d) || (Array.isArray(d) && d.some(one));
}

function fieldTest(field: string, cond: unknown): Test | null {
  if (isScalar(cond)) return (doc) => equals(doc[field], cond);
  if (!isPlain(cond)) return null;
  const tests: Test[] = [];
  for (const [op, v] of Object.entries(cond)) {
    switch (op) {
      case '$eq': if (!isScalar(v)) return null; tests.push((doc) => equals(doc[field], v)); break;
      case '$ne': if (!isScalar(v)) return null; tests.push((doc) => !equals(doc[field], v)); break;
      case '$in':
      case '$nin': {
        if (!Array.isArray(v) || !v.every(isScalar)) return null;
        const vals = v as Array<string | number | boolean | null>;
        const any = (doc: Doc) => vals.some((x) => equals(doc[field], x));
        tests.push(op === '$in' ? any : (doc) => !any(doc));
        break;
      }
      case '$gt': case '$gte': case '$lt': case '$lte':
        if (!isNumber(v)) return null;
        tests.push((doc) => compare(doc[field], op, v));
        break;
      case '$exists':
        if (typeof v !== 'boolean') return null;
        tests.push(v ? (doc) => doc[field] !== undefined : (doc) => doc[field] === undefined);
        break;
      default: return null;
    }
  }
  if (tests.length === 0) return null;
  return tests.length === 1 ? tests[0] : (doc) => tests.every((t) => t(doc));
}

/** A test equivalent to the MongoDB filter, or null when the filter is outside the fast subset. */
export function simpleMatcher(filter: Record<string, unknown>): Test | null {
  const tests: Test[] = [];
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(cond) || cond.length === 0) return null;
      const parts = cond.map((c) => (isPlain(c) ? simpleMatcher(c) : null));
      if (parts.some((p) => p === null)) return null;
      const ps = parts as Test[];
      tests.push(key === '$and' ? (doc) => ps.every((p) => p(doc)) : (doc) => ps.some((p) => p(doc)));
    } else if (plainField(key)) {
      const t = fieldTest(key, cond);
      if (!t) return null;
      tests.push(t);
    } else return null;
  }
  if (tests.length === 0) return () => true;
  return tests.length === 1 ? tests[0] : (doc) => tests.every((t) => t(doc));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

const copy = <T>(v: T): T => (v !== null && typeof v === 'object' ? structuredClone(v) : v);

/**
 * Applies a modifier of `$set` / `$inc` / `$push` ({$each} only) / `$unset` on top-level fields to `doc` in
 * place and returns the changed fields; null (and `doc` untouched) when the modifier needs mingo.
 */
export function simpleModify(doc: Doc, modifier: Record<string, Record<string, unknown>>): string[] | null {
  // Check everything first: a modifier is applied whole or not at all.
  for (const [op, expr] of Object.entries(modifier)) {
    if (!isPlain(expr)) return null;
    for (const [field, v] of Object.entries(expr)) {
      if (!plainField(field) || field === '_id') return null;
      if (op === '$set' || op === '$unset') continue;
      if (op === '$inc') {
        if (!isNumber(v) || (doc[field] !== undefined && !isNumber(doc[field]))) return null;
      } else if (op === '$push') {
        if (!isPlain(v) || Object.keys(v).length !== 1 || !Array.isArray(v.$each)) return null;
        if (doc[field] !== undefined && !Array.isArray(doc[field])) return null;
      } else return null;
    }
  }
  const changed: string[] = [];
  for (const [op, expr] of Object.entries(modifier)) {
    for (const [field, v] of Object.entries(expr)) {
      if (op === '$set') {
        if (field in doc && sameValue(doc[field], v)) continue;
        doc[field] = copy(v);
      } else if (op === '$unset') {
        if (!(field in doc)) continue;
        delete doc[field];
      } else if (op === '$inc') {
        if (doc[field] !== undefined && v === 0) continue;
        doc[field] = (doc[field] ?? 0) + (v as number);
      } else {
        const each = (v as { $each: unknown[] }).$each;
        if (each.length === 0 && doc[field] !== undefined) continue;
        doc[field] = [...(doc[field] ?? []), ...each.map(copy)];
      }
      changed.push(field);
    }
  }
  return changed;
}

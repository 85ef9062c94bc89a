/**
 * The durable document store under the embedded database: lmdb holds the documents (key `[collection, _id]`) and
 * the secondary index entries (key `[collection, indexName, ...values, _id]`, or `[collection, indexName, ...values]`
 * for a unique index, whose values name one document: a lookup or a uniqueness check by it is then one lmdb
 * read of one key instead of a cursor over a key range; the entry's value is the `_id`); mingo decides what matches and how
 * an update changes a document. Every write runs as one callback of lmdb's batched write transaction on the main
 * thread, so the match, the unique-index check and the write of a conditional update or insert see one state and
 * commit together; lmdb batches the commits of concurrent callers (one fsync for many writes) and survives a
 * killed process. A write that fails has written nothing: everything that can fail (see writeChanges) runs
 * before its first put.
 */
import * as lmdb from 'lmdb';
import { asBinary, open, type Database as LmdbDatabase, type Key, type RootDatabase } from 'lmdb';
import { Aggregator, applyModifier, compileQuery } from './mingo';
import { DuplicateKeyError } from './errors';
import { indexKeysOf, type IndexSpec, type KeyPart } from './index-spec';
import { planQuery, type Plan } from './planner';
import { simpleMatcher } from './simple';

export type StoredDoc = Record<string, any> & { _id: string | number };
type Filter = Record<string, any>;
export interface FindOptions { sort?: Record<string, 1 | -1>; skip?: number; limit?: number; projection?: Record<string, any> }

/** lmdb's own key encoding (ordered-binary), for the size of a key before writing it; missing from its typings. */
const keyBytes = (lmdb as unknown as { keyValueToBuffer(k: Key): Uint8Array }).keyValueToBuffer;

/** Sorts after every key part lmdb's ordered-binary writes (strings, numbers, booleans, null). */
const MAX_KEY_PART = new Uint8Array([0xff]);

/** lmdb's typings omit null as a key part although ordered-binary stores it (MongoDB's "missing or null"). */
const key = (...parts: unknown[]): Key => parts as Key;

/**
 * The layout of the index entries, stored with the index declarations they were built from: a database written
 * with another layout (unique entries with the `_id` in the key, before layout 2) has its entries rebuilt when
 * it is opened.
 */
const INDEX_LAYOUT = 2;

/** The key of one index entry: a unique index's values name one document; any other's need the `_id` too. */
function entryKey(coll: string, spec: IndexSpec, tuple: KeyPart[], id: string | number): Key {
  return spec.unique ? key(coll, spec.name, ...tuple) : key(coll, spec.name, ...tuple, id);
}

/**
 * One document's write inside a transaction: the index keys it had, and its new state (null = removed).
 * `indexes[s] === false` marks an index the write cannot change (its keys were not computed).
 */
interface Change { id: string | number; beforeKeys: KeyPart[][][] | null; after: StoredDoc | null; indexes?: boolean[] }

function sameTuples(a: KeyPart[][], b: KeyPart[][]): boolean {
  return a.length === b.length && a.every((t, i) => t.length === b[i].length && t.every((v, j) => v === b[i][j]));
}

export class DocumentStore {
  private constructor(
    private readonly root: RootDatabase,
    private readonly docs: LmdbDatabase<StoredDoc, Key>,
    private readonly idx: LmdbDatabase<string | number, Key>,
    private readonly meta: LmdbDatabase<string, Key>,
    private readonly specs: Map<string, IndexSpec[]>,
  ) {}

  static async open(path: string, specs: Map<string, IndexSpec[]>): Promise<DocumentStore> {
    const root = open({ path, maxDbs: 8 });
    // Documents as plain msgpack maps: msgpackr's records, without structures shared across values, write every
    // document's key list inline and cost more to encode and decode than maps (they still decode either form).
    const docsOptions = { name: 'docs', useRecords: false }; // passed on to msgpackr; not in lmdb's typings
    const docs = root.openDB(docsOptions);
    const store = new DocumentStore(root, docs, root.openDB({ name: 'idx' }), root.openDB({ name: 'meta' }), specs);
    try {
      await store.syncIndexes();
    } catch (err) {
      await root.close();
      throw err;
    }
    return store;
  }

  close(): Promise<void> { return this.root.close(); }

  private specsOf(coll: string): IndexSpec[] { return this.specs.get(coll) ?? []; }

  /** Rebuilds the entries of any collection whose declared indexes differ from the ones last built. */
  private async syncIndexes(): Promise<void> {
    const built = new Map<string, string>();
    for (const { key, value } of this.meta.getRange({ start: ['indexes'], end: ['indexes', MAX_KEY_PART] })) built.set((key as string[])[1], value);
    const colls = new Set([...built.keys(), ...this.specs.keys()]);
    await this.root.childTransaction(() => {
      for (const coll of colls) {
        const wanted = JSON.stringify({ layout: INDEX_LAYOUT, indexes: this.specsOf(coll) });
        if (built.get(coll) === wanted) continue;
        for (const k of this.idx.getKeys({ start: [coll], end: [coll, MAX_KEY_PART] })) this.idx.removeSync(k);
        const changes = this.scan(coll).map((d): Change => ({ id: d._id, beforeKeys: null, after: d }));
        this.writeChanges(coll, changes, false);
        this.meta.putSync(['indexes', coll], wanted);
      }
    });
  }

  // ---- reads (also used inside write transactions, where they see the transaction's own state) ----

  getById(coll: string, id: unknown): StoredDoc | undefined {
    return typeof id === 'string' || typeof id === 'number' ? this.docs.get([coll, id]) : undefined;
  }

  private scan(coll: string): StoredDoc[] {
    return Array.from(this.docs.getRange({ start: [coll], end: [coll, MAX_KEY_PART] }), (e) => e.value);
  }

  /**
   * How a filter's candidates are found (planner.ts): by `_id`, by index key ranges, by the union of an `$or`'s
   * branches, or by scanning the collection. Exposed so tests can prove indexed lookups do not scan.
   */
  plan(coll: string, filter: Filter): Plan {
    return planQuery(filter, this.specsOf(coll));
  }

  /** The `_id`s a plan reads (with repeats; a union's branches may overlap). */
  private idsOf(coll: string, plan: Exclude<Plan, { kind: 'scan' }>): unknown[] {
    if (plan.kind === 'id') return plan.ids;
    if (plan.kind === 'union') return plan.branches.flatMap((b) => (b.kind === 'scan' ? [] : this.idsOf(coll, b)));
    const { spec, values } = plan;
    if (spec.unique && !plan.range && values.length === spec.fields.length) {
      // Every value of a unique index given: the one entry, read by its key (the commonest lookup).
      const id = this.idx.get(key(coll, spec.name, ...values));
      return id === undefined ? [] : [id];
    }
    const prefix = [coll, spec.name, ...values];
    const { low, high } = plan.range ?? {};
    // keys are [...prefix, value, ..., _id?]: a numeric range of `value` is one key range (other types sort apart)
    const start = low === undefined ? key(...prefix) : key(...prefix, low);
    const end = high === undefined ? key(...prefix, MAX_KEY_PART) : key(...prefix, high, MAX_KEY_PART);
    // A unique index's keys end with its last value, not the `_id`: the entry's value names the document.
    if (spec.unique) return Array.from(this.idx.getRange({ start, end }), (e) => e.value);
    return Array.from(this.idx.getKeys({ start, end }), (k) => (k as any[])[(k as any[]).length - 1]);
  }

  /** A superset of the documents matching `filter`, found as `plan` says. */
  private candidates(coll: string, filter: Filter): StoredDoc[] {
    const plan = this.plan(coll, filter);
    if (plan.kind === 'scan') return this.scan(coll);
    const ids = this.idsOf(coll, plan);
    // The commonest read, by a unique key or by _id: one id or none, nothing to order or deduplicate.
    if (ids.length <= 1) {
      const doc = ids.length === 1 ? this.getById(coll, ids[0]) : undefined;
      return doc ? [doc] : [];
    }
    // Natural order (by _id), as a scan gives, whichever way the candidates were found.
    const unique = [...new Set(ids)].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
    return unique.map((id) => this.getById(coll, id)).filter((d): d is StoredDoc => d !== undefined);
  }

  /** The matching documents in natural (`_id`) order; the cheap path when no sort, paging or projection applies. */
  private matching(coll: string, filter: Filter): StoredDoc[] {
    const test = simpleMatcher(filter) ?? ((q) => (d: StoredDoc) => q.test(d))(compileQuery(filter));
    return this.candidates(coll, filter).filter(test);
  }

  find(coll: string, filter: Filter, opts: FindOptions = {}): StoredDoc[] {
    const sorted = opts.sort && Object.keys(opts.sort).length > 0;
    if (!sorted && !opts.projection) {
      // Natural order already: a slice of the matches, without building a cursor (the common read by key).
      const all = this.matching(coll, filter);
      const from = opts.skip ?? 0;
      return opts.limit === undefined && from === 0 ? all : all.slice(from, opts.limit === undefined ? undefined : from + opts.limit);
    }
    const cursor = compileQuery(filter).find<StoredDoc>(this.candidates(coll, filter), opts.projection);
    if (sorted) cursor.sort(opts.sort as Record<string, 1 | -1>);
    if (opts.skip) cursor.skip(opts.skip);
    if (opts.limit !== undefined) cursor.limit(opts.limit);
    return cursor.all();
  }

  count(coll: string, filter: Filter): number {
    return this.matching(coll, filter).length;
  }

  aggregate(coll: string, pipeline: Filter[]): Record<string, any>[] {
    const first = pipeline[0];
    const source = first && first.$match ? this.candidates(coll, first.$match) : this.scan(coll);
    return new Aggregator(pipeline).run(source);
  }

  // ---- writes: each is one callback of the next batched transaction; a thrown error leaves nothing written ----

  /**
   * Runs one write operation in lmdb's next write batch. Not as a child transaction: lmdb's nested transactions
   * copy every B-tree page a write touches, which cost about a third of each write's CPU here, and their
   * rollback is not needed because every operation below checks everything that can fail (matching, modifier,
   * unique keys, key sizes, document encoding) before it writes anything. A callback that throws before its
   * first put leaves the batch, and the other callbacks in it, exactly as a rolled-back child would.
   */
  private write<T>(fn: () => T): Promise<T> {
    return this.root.transaction(fn) as Promise<T>;
  }

  insert(coll: string, newDocs: StoredDoc[]): Promise<void> {
    return this.write(() => {
      const seen = new Set<string | number>();
      for (const d of newDocs) {
        if (seen.has(d._id) || this.getById(coll, d._id)) throw new DuplicateKeyError(coll, '_id_', { _id: d._id });
        seen.add(d._id);
      }
      this.writeChanges(coll, newDocs.map((d) => ({ id: d._id, beforeKeys: null, after: d })), true);
    });
  }

  /**
   * Applies `modifier` to the matching documents (only the first, in `sort` order, when `first`), atomically.
   * Returns how many matched and the documents that changed (after the update).
   */
  update(coll: string, filter: Filter, modifier: Filter, opts: { first?: boolean; sort?: Record<string, 1 | -1> } = {}):
  Promise<{ matched: number; changed: StoredDoc[]; firstAfter: StoredDoc | null }> {
    return this.write(() => {
      const matches = opts.first ? this.find(coll, filter, { sort: opts.sort, limit: 1 }) : this.matching(coll, filter);
      const changes: Change[] = [];
      const touched = this.indexesTouchedBy(coll, modifier);
      for (const doc of matches) {
        const beforeKeys = this.keysOf(coll, doc, touched);
        // `filter` lets mingo resolve the positional `$` of 'arr.$.field' paths.
        const modified = applyModifier(doc, modifier, filter);
        if (modified.length > 0) changes.push({ id: doc._id, beforeKeys, after: doc, indexes: touched });
      }
      this.writeChanges(coll, changes, true);
      return { matched: matches.length, changed: changes.map((c) => c.after as StoredDoc), firstAfter: matches[0] ?? null };
    });
  }

  /** Replaces (or creates) the document `id` with `doc` (uniCloud `doc(id).set`). */
  replace(coll: string, doc: StoredDoc): Promise<{ created: boolean }> {
    return this.write(() => {
      const existing = this.getById(coll, doc._id);
      this.writeChanges(coll, [{ id: doc._id, beforeKeys: existing ? this.keysOf(coll, existing) : null, after: doc }], true);
      return { created: !existing };
    });
  }

  remove(coll: string, filter: Filter): Promise<number> {
    return this.write(() => {
      const matches = this.matching(coll, filter);
      this.writeChanges(coll, matches.map((d) => ({ id: d._id, beforeKeys: this.keysOf(coll, d), after: null })), true);
      return matches.length;
    });
  }

  /**
   * The index keys of `doc` for every index of `coll`; with `indexes`, only for the indexes an update can change
   * (the others keep their keys: left empty here and marked unchanged, see writeChanges).
   */
  private keysOf(coll: string, doc: StoredDoc, indexes?: boolean[]): KeyPart[][][] {
    return this.specsOf(coll).map((spec, s) => (indexes && !indexes[s] ? [] : indexKeysOf(spec, doc)));
  }

  /**
   * Which indexes of `coll` a modifier may change: those with a field on (or under, or above) a path it writes.
   * A status update of an order leaves its out_trade_no, dedupe_key and user indexes alone, so their keys are
   * neither recomputed nor rechecked.
   */
  private indexesTouchedBy(coll: string, modifier: Filter): boolean[] {
    const paths: string[] = [];
    for (const expr of Object.values(modifier)) if (expr && typeof expr === 'object') paths.push(...Object.keys(expr as Filter));
    // The same few update shapes come again and again: remember the answer per collection and path list.
    const memo = `${coll}\u0000${paths.join('\u0000')}`;
    const known = this.touchedMemo.get(memo);
    if (known) return known;
    const hit = (field: string) => paths.some((p) => {
      const base = p.split('.$')[0];
      return base === field || base.startsWith(`${field}.`) || field.startsWith(`${base}.`);
    });
    const touched = this.specsOf(coll).map((spec) => spec.fields.some(hit));
    if (this.touchedMemo.size > 1000) this.touchedMemo.clear();
    this.touchedMemo.set(memo, touched);
    return touched;
  }

  private readonly touchedMemo = new Map<string, boolean[]>();

  /**
   * Checks every unique index against the documents outside this batch and within it, then writes documents and
   * index entries. Must run inside a write transaction. Everything that can throw comes first - the unique
   * checks, the size of every key about to be written, the encoding of every document - so that it throws
   * before writing anything (write() relies on that instead of a child transaction's rollback).
   */
  private writeChanges(coll: string, changes: Change[], writeDocs: boolean): void {
    if (changes.length === 0) return;
    const specs = this.specsOf(coll);
    const touched = new Set(changes.map((c) => c.id));
    const afterKeys = changes.map((c) => (c.after ? this.keysOf(coll, c.after, c.indexes) : specs.map(() => [])));
    // An index whose keys a change leaves as they were needs neither a check nor a rewrite (the common case:
    // a status update on a document whose out_trade_no stays put).
    const same = changes.map((c, i) => specs.map((_, s) => (c.indexes !== undefined && !c.indexes[s]) || (c.beforeKeys !== null && sameTuples(c.beforeKeys[s], afterKeys[i][s]))));
    specs.forEach((spec, s) => {
      if (!spec.unique) return;
      const owners = new Map<string, string | number>();
      changes.forEach((c, i) => {
        for (const tuple of afterKeys[i][s]) {
          const tag = JSON.stringify(tuple);
          const other = owners.get(tag);
          if (other !== undefined && other !== c.id) throw this.duplicate(coll, spec, tuple);
          owners.set(tag, c.id);
          if (same[i][s]) continue;
          // The document the value names now, if any: taken unless it is one of this write's own.
          const holder = this.idx.get(key(coll, spec.name, ...tuple));
          if (holder !== undefined && !touched.has(holder)) throw this.duplicate(coll, spec, tuple);
        }
      });
    });
    // The keys and document bytes to write, all made (and so all checked) before the first write.
    const puts: Key[][] = changes.map((c, i) => {
      const keys: Key[] = [];
      specs.forEach((spec, s) => {
        if (same[i][s]) return;
        for (const tuple of afterKeys[i][s]) keys.push(this.fits(entryKey(coll, spec, tuple, c.id)));
      });
      return keys;
    });
    const bytes = changes.map((c) => (writeDocs && c.after ? this.encodeDoc(this.fits([coll, c.id]), c.after) : null));
    changes.forEach((c, i) => {
      specs.forEach((spec, s) => {
        if (same[i][s]) return;
        for (const tuple of c.beforeKeys?.[s] ?? []) this.idx.removeSync(entryKey(coll, spec, tuple, c.id));
      });
    });
    changes.forEach((c, i) => {
      for (const k of puts[i]) this.idx.putSync(k, c.id);
      if (!writeDocs) return;
      if (c.after) this.docs.putSync([coll, c.id], bytes[i] as StoredDoc);
      else this.docs.removeSync([coll, c.id]);
    });
  }

  /** `k`, or lmdb's own "key too large" error now rather than halfway through a write. */
  private fits(k: Key): Key {
    const parts = k as unknown[];
    // A cheap upper bound first (3 bytes per UTF-16 unit, 2 per part for type and separator); the exact
    // encoding only for the rare key that might not fit.
    let bound = 0;
    for (const p of parts) bound += typeof p === 'string' ? 3 * p.length + 2 : 10;
    const max = (this.idx as unknown as { maxKeySize?: number }).maxKeySize ?? 1978;
    if (bound > max && keyBytes(k).length > max) throw new Error(`Key size is larger than the maximum key size (${max})`);
    return k;
  }

  /** The stored form of a document, encoded now (an unencodable value throws here, before any write). */
  private encodeDoc(_key: Key, doc: StoredDoc): unknown {
    // Copied: the result is a view of the encoder's buffer, which a later encoding may write over.
    return asBinary(Buffer.from(this.docEncoder.encode(doc)));
  }

  private get docEncoder(): { encode(v: unknown): Uint8Array } {
    return (this.docs as unknown as { encoder: { encode(v: unknown): Uint8Array } }).encoder;
  }

  private duplicate(coll: string, spec: IndexSpec, tuple: KeyPart[]): DuplicateKeyError {
    return new DuplicateKeyError(coll, spec.name, Object.fromEntries(spec.fields.map((f, i) => [f, tuple[i]])));
  }
}

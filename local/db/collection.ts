/**
 * The uniCloud query builders over the store: `collection()`, `where()`, `doc()`, `aggregate()`.
 * Builders are immutable (each call returns a new one), as in uniCloud's SDK, so a shared base query is safe.
 */
import { ParamError } from '../../uni_modules/vk-pay/common/errors';
import type {
  AddManyResult, AddResult, Aggregate, Collection, Doc, DocRef, Query, QueryResult, RemoveResult, UpdateResult,
} from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { assertNoCommands, compileUpdate, compileWhere, isPlainObject } from './command';
import { newObjectId } from './object-id';
import type { DocumentStore, StoredDoc } from './store';

/** uniCloud returns 100 documents when no limit is set; a larger limit is capped (Aliyun 500, Tencent 1000). */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 500;

interface QueryState {
  filter: Record<string, any> | null;
  sort: Record<string, 1 | -1>;
  skip: number;
  limit: number | null;
  projection: Record<string, 0 | 1> | null;
}

const EMPTY: QueryState = { filter: null, sort: {}, skip: 0, limit: null, projection: null };

function toPlainDoc<T>(doc: StoredDoc): T { return doc as unknown as T; }

function withId(doc: unknown): StoredDoc {
  if (!isPlainObject(doc)) throw new ParamError('add() expects an object or an array of objects');
  assertNoCommands(doc, 'add()');
  const id = doc._id ?? newObjectId();
  if (typeof id !== 'string' && typeof id !== 'number') throw new ParamError('_id must be a string or a number');
  return { _id: id, ...doc };
}

export class LocalQuery<T = Doc> implements Query<T> {
  constructor(protected readonly store: DocumentStore, protected readonly name: string, protected readonly state: QueryState = EMPTY) {}

  protected next(patch: Partial<QueryState>): LocalQuery<T> {
    return new LocalQuery<T>(this.store, this.name, { ...this.state, ...patch });
  }

  where(cond: Record<string, any>): LocalQuery<T> { return this.next({ filter: compileWhere(cond) }); }

  orderBy(field: string, order: 'asc' | 'desc'): LocalQuery<T> {
    if (order !== 'asc' && order !== 'desc') throw new ParamError(`orderBy: order must be 'asc' or 'desc'`);
    return this.next({ sort: { ...this.state.sort, [field]: order === 'asc' ? 1 : -1 } });
  }

  skip(n: number): LocalQuery<T> {
    if (!Number.isInteger(n) || n < 0) throw new ParamError('skip: a non-negative integer is required');
    return this.next({ skip: n });
  }

  limit(n: number): LocalQuery<T> {
    if (!Number.isInteger(n) || n < 1) throw new ParamError('limit: a positive integer is required');
    return this.next({ limit: n });
  }

  field(projection: Record<string, boolean | 0 | 1>): LocalQuery<T> {
    const p: Record<string, 0 | 1> = {};
    for (const [k, v] of Object.entries(projection)) p[k] = v ? 1 : 0;
    const kinds = new Set(Object.entries(p).filter(([k]) => k !== '_id').map(([, v]) => v));
    if (kinds.size > 1) throw new ParamError('field(): true and false cannot be mixed (except for _id)');
    return this.next({ projection: p });
  }

  async get(): Promise<QueryResult<T>> {
    const { filter, sort, skip, limit, projection } = this.state;
    const data = this.store.find(this.name, filter ?? {}, {
      sort, skip, limit: Math.min(limit ?? DEFAULT_LIMIT, MAX_LIMIT), projection: projection ?? undefined,
    });
    return { data: data.map((d) => toPlainDoc<T>(d)) };
  }

  async count(): Promise<{ total: number }> {
    return { total: this.store.count(this.name, this.state.filter ?? {}) };
  }

  /** A write without where() would touch the whole collection; like Tencent's SDK, refuse it. */
  private requireWhere(op: string): Record<string, any> {
    if (!this.state.filter) throw new ParamError(`${op}() needs where() or doc() first`);
    return this.state.filter;
  }

  async update(data: Record<string, any>): Promise<UpdateResult> {
    const filter = this.requireWhere('update');
    const { changed } = await this.store.update(this.name, filter, compileUpdate(data));
    return { updated: changed.length };
  }

  /**
   * Updates the first match (in orderBy order) and returns it after the update. As in uniCloud, `updated` is 1
   * whenever a document matched, even if the data did not change; `doc` is null when nothing matched.
   */
  async updateAndReturn(data: Record<string, any>): Promise<UpdateResult & { doc: T | null }> {
    if (this.state.projection) throw new ParamError('updateAndReturn() cannot be combined with field()');
    const filter = this.requireWhere('updateAndReturn');
    const res = await this.store.update(this.name, filter, compileUpdate(data), { first: true, sort: this.state.sort });
    return { updated: res.matched > 0 ? 1 : 0, doc: res.firstAfter ? toPlainDoc<T>(res.firstAfter) : null };
  }

  async remove(): Promise<RemoveResult> {
    return { deleted: await this.store.remove(this.name, this.requireWhere('remove')) };
  }
}

class LocalDocRef<T = Doc> implements DocRef<T> {
  constructor(private readonly store: DocumentStore, private readonly name: string, private readonly id: string) {}

  private query(): LocalQuery<T> { return new LocalQuery<T>(this.store, this.name).where({ _id: this.id }); }

  get(): Promise<QueryResult<T>> { return this.query().get(); }
  update(data: Record<string, any>): Promise<UpdateResult> { return this.query().update(data); }
  remove(): Promise<RemoveResult> { return this.query().remove(); }

  /** Replaces the whole document (creating it if absent): `updated` 1 when it existed, `upsertedId` when created. */
  async set(data: Record<string, any>): Promise<UpdateResult & { upsertedId?: string }> {
    if (!isPlainObject(data)) throw new ParamError('set() expects an object');
    assertNoCommands(data, 'doc().set()');
    const { _id: _ignored, ...rest } = data;
    const { created } = await this.store.replace(this.name, { _id: this.id, ...rest });
    return created ? { updated: 0, upsertedId: this.id } : { updated: 1 };
  }
}

class LocalAggregate implements Aggregate {
  constructor(private readonly store: DocumentStore, private readonly name: string, private readonly stages: Record<string, any>[] = []) {}
  private add(stage: Record<string, any>): LocalAggregate { return new LocalAggregate(this.store, this.name, [...this.stages, stage]); }
  match(cond: Record<string, any>) { return this.add({ $match: compileWhere(cond) }); }
  group(spec: Record<string, any>) { return this.add({ $group: spec }); }
  sort(spec: Record<string, 1 | -1>) { return this.add({ $sort: spec }); }
  limit(n: number) { return this.add({ $limit: n }); }
  skip(n: number) { return this.add({ $skip: n }); }
  project(spec: Record<string, any>) { return this.add({ $project: spec }); }
  addFields(spec: Record<string, any>) { return this.add({ $addFields: spec }); }
  unwind(spec: string | Record<string, any>) { return this.add({ $unwind: spec }); }
  count(field: string) { return this.add({ $count: field }); }
  async end(): Promise<QueryResult<any>> { return { data: this.store.aggregate(this.name, this.stages) }; }
}

export class LocalCollection<T = Doc> extends LocalQuery<T> implements Collection<T> {
  add(docs: Record<string, any>[]): Promise<AddManyResult>;
  add(doc: Record<string, any>): Promise<AddResult>;
  async add(input: Record<string, any> | Record<string, any>[]): Promise<AddResult | AddManyResult> {
    if (Array.isArray(input)) {
      if (input.length === 0) throw new ParamError('add([]) needs at least one document');
      const docs = input.map(withId);
      await this.store.insert(this.name, docs);
      return { ids: docs.map((d) => String(d._id)), inserted: docs.length };
    }
    const doc = withId(input);
    await this.store.insert(this.name, [doc]);
    return { id: String(doc._id) };
  }

  doc(id: string): DocRef<T> {
    if (typeof id !== 'string' && typeof id !== 'number') throw new ParamError('doc(id): id must be a string');
    return new LocalDocRef<T>(this.store, this.name, id);
  }

  aggregate(): Aggregate { return new LocalAggregate(this.store, this.name); }
}

/**
 * The part of `uniCloud.database()` that vk-pay uses, as types. The local host's embedded database
 * (local/db) implements it; on uniCloud the real one is passed in. Only `dao/` talks to it directly.
 */
export type Doc = Record<string, any> & { _id?: string };

export interface DbCommandValue { readonly __cmd: true }

/** `db.command`: query operators (chainable: `_.gte(0).lte(10)`), update operators and `aggregate` ($). */
export interface DbCommand {
  eq(v: unknown): any; neq(v: unknown): any; gt(v: unknown): any; gte(v: unknown): any; lt(v: unknown): any; lte(v: unknown): any;
  in(v: unknown[]): any; nin(v: unknown[]): any; exists(v: boolean): any;
  and(...conds: any[]): any; or(...conds: any[]): any;
  set(v: unknown): any; inc(n: number): any; remove(): any; push(v: unknown): any;
  mul(n: number): any; pop(): any; shift(): any; unshift(v: unknown): any;
  aggregate: Record<string, (...args: any[]) => any>;
}

export interface QueryResult<T = Doc> { data: T[] }
export interface UpdateResult { updated: number }
export interface RemoveResult { deleted: number }
export interface AddResult { id: string }
export interface AddManyResult { ids: string[]; inserted: number }

export interface Query<T = Doc> {
  where(cond: Record<string, any>): Query<T>;
  orderBy(field: string, order: 'asc' | 'desc'): Query<T>;
  skip(n: number): Query<T>;
  limit(n: number): Query<T>;
  field(projection: Record<string, boolean | 0 | 1>): Query<T>;
  get(): Promise<QueryResult<T>>;
  count(): Promise<{ total: number }>;
  /** Updates every match; `{updated}` counts the documents that matched and changed. */
  update(data: Record<string, any>): Promise<UpdateResult>;
  /** Updates only the first match and returns it after the update (uniCloud `where().updateAndReturn`). */
  updateAndReturn(data: Record<string, any>): Promise<UpdateResult & { doc: T | null }>;
  remove(): Promise<RemoveResult>;
}

export interface DocRef<T = Doc> {
  get(): Promise<QueryResult<T>>;
  update(data: Record<string, any>): Promise<UpdateResult>;
  /** Replaces the whole document; creates it when absent (uniCloud answers `upsertedId` then). */
  set(data: Record<string, any>): Promise<UpdateResult & { upserted?: number; upsertedId?: string }>;
  remove(): Promise<RemoveResult>;
}

export interface Aggregate {
  match(cond: Record<string, any>): Aggregate;
  group(spec: Record<string, any>): Aggregate;
  sort(spec: Record<string, 1 | -1>): Aggregate;
  limit(n: number): Aggregate;
  skip(n: number): Aggregate;
  project(spec: Record<string, any>): Aggregate;
  end(): Promise<QueryResult<any>>;
}

export interface Collection<T = Doc> extends Query<T> {
  // The array overload comes first: an array is also a Record<string, any>.
  add(docs: Record<string, any>[]): Promise<AddManyResult>;
  add(doc: Record<string, any>): Promise<AddResult>;
  doc(id: string): DocRef<T>;
  aggregate(): Aggregate;
}

export interface Database {
  collection<T = Doc>(name: string): Collection<T>;
  readonly command: DbCommand;
}

/**
 * uniCloud reports a unique-index violation as a MongoDB duplicate-key error (E11000). The embedded database
 * throws the same shape, so one check serves both.
 */
export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  return e.code === 11000 || /E11000|duplicate key/i.test(String(e.message ?? ''));
}

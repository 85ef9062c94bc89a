/**
 * `db.command` for the embedded database: uniCloud's query, update and aggregation operators as small value
 * objects, plus the two compilers that turn a uniCloud `where`/`update` argument into the MongoDB filter and
 * modifier that mingo evaluates. uniCloud's own SDK does the same translation before its request reaches MongoDB.
 */
import { ParamError } from '../../uni_modules/vk-pay/common/errors';
import type { DbCommand } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';

type Filter = Record<string, unknown>;
export type Modifier = Record<string, Record<string, unknown>>;

type QueryNode = { op: string; value: unknown } | { logic: '$and' | '$or'; items: unknown[] };

/** Conditions passed as `(a, b)` or as `([a, b])` mean the same thing in uniCloud. */
function spreadArgs(args: unknown[]): unknown[] {
  return args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
}

/** A query operator on a field (`_.gt(1)`), chainable: `_.gte(0).lte(10)` ANDs both. */
export class QueryCommand {
  readonly __cmd = true as const;
  constructor(readonly node: QueryNode) {}
  private chain(op: string, value: unknown): QueryCommand {
    return new QueryCommand({ logic: '$and', items: [this, new QueryCommand({ op, value })] });
  }
  eq(v: unknown) { return this.chain('$eq', v); }
  neq(v: unknown) { return this.chain('$ne', v); }
  gt(v: unknown) { return this.chain('$gt', v); }
  gte(v: unknown) { return this.chain('$gte', v); }
  lt(v: unknown) { return this.chain('$lt', v); }
  lte(v: unknown) { return this.chain('$lte', v); }
  in(v: unknown[]) { return this.chain('$in', v); }
  nin(v: unknown[]) { return this.chain('$nin', v); }
  exists(v: boolean) { return this.chain('$exists', v); }
  and(...args: unknown[]) { return new QueryCommand({ logic: '$and', items: [this, ...spreadArgs(args)] }); }
  or(...args: unknown[]) { return new QueryCommand({ logic: '$or', items: [this, ...spreadArgs(args)] }); }
}

/** An update operator on a field (`_.inc(1)`); compiled into a MongoDB modifier entry. */
export class UpdateCommand {
  readonly __cmd = true as const;
  constructor(readonly op: string, readonly value: unknown) {}
}

function pushSpec(v: unknown, position?: number): Record<string, unknown> {
  const spec: Record<string, unknown> = { $each: Array.isArray(v) ? v : [v] };
  if (position !== undefined) spec.$position = position;
  return spec;
}

/** `db.command.aggregate`: `$.sum('$amount')` -> `{$sum: '$amount'}`, `$.add(['$a', 1])` -> `{$add: ['$a', 1]}`. */
const aggregateCommand: Record<string, (...args: any[]) => any> = new Proxy({}, {
  get: (_target, name) => (typeof name !== 'string' ? undefined
    : (...args: unknown[]) => ({ [`$${name}`]: args.length === 1 ? args[0] : args })),
});

export function createCommand(): DbCommand {
  const q = (op: string) => (value: unknown) => new QueryCommand({ op, value });
  return {
    eq: q('$eq'), neq: q('$ne'), gt: q('$gt'), gte: q('$gte'), lt: q('$lt'), lte: q('$lte'),
    in: q('$in'), nin: q('$nin'), exists: q('$exists'),
    and: (...args: unknown[]) => new QueryCommand({ logic: '$and', items: spreadArgs(args) }),
    or: (...args: unknown[]) => new QueryCommand({ logic: '$or', items: spreadArgs(args) }),
    set: (v: unknown) => new UpdateCommand('$set', v),
    inc: (n: number) => new UpdateCommand('$inc', n),
    mul: (n: number) => new UpdateCommand('$mul', n),
    remove: () => new UpdateCommand('$unset', ''),
    push: (v: unknown) => new UpdateCommand('$push', pushSpec(v)),
    unshift: (v: unknown) => new UpdateCommand('$push', pushSpec(v, 0)),
    pop: () => new UpdateCommand('$pop', 1),
    shift: () => new UpdateCommand('$pop', -1),
    aggregate: aggregateCommand,
  } as DbCommand;
}

/** Only plain objects are flattened into dotted paths; arrays, Dates, RegExps and the like are values. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const hasOperatorKey = (o: Record<string, unknown>) => Object.keys(o).some((k) => k.startsWith('$'));

function mergeFragments(fragments: Filter[]): Filter {
  if (fragments.length === 1) return fragments[0];
  const merged: Filter = {};
  for (const f of fragments) {
    for (const k of Object.keys(f)) {
      if (k in merged) return { $and: fragments };
      merged[k] = f[k];
    }
  }
  return merged;
}

function compileField(path: string, value: unknown): Filter {
  if (value instanceof UpdateCommand) throw new ParamError(`update operator ${value.op} used in a query on "${path}"`);
  if (value instanceof QueryCommand) {
    const node = value.node;
    if ('op' in node) return { [path]: { [node.op]: node.value } };
    return { [node.logic]: node.items.map((item) => compileField(path, item)) };
  }
  if (isPlainObject(value)) {
    // A nested plain object matches nested fields (uniCloud), unless it is already a raw MongoDB operator object.
    if (hasOperatorKey(value)) return { [path]: value };
    if (Object.keys(value).length === 0) return { [path]: { $eq: {} } };
    return compileWhere(value, `${path}.`);
  }
  return { [path]: value };
}

/** Turns a uniCloud `where` argument into a MongoDB filter. */
export function compileWhere(cond: unknown, prefix = ''): Filter {
  if (cond instanceof QueryCommand) {
    const node = cond.node;
    if ('op' in node) throw new ParamError('a field operator cannot be a whole query; use where({field: _.op(...)})');
    return { [node.logic]: node.items.map((item) => compileWhere(item, prefix)) };
  }
  if (!isPlainObject(cond)) throw new ParamError('where() expects an object or _.and/_.or');
  const fragments: Filter[] = [];
  for (const [key, value] of Object.entries(cond)) {
    // uniCloud's JSON request drops an undefined condition and so widens the match (possibly to every document);
    // refusing it here turns that silent mass update into an error the tests see.
    if (value === undefined) throw new ParamError(`where(): "${prefix + key}" is undefined`);
    if (key.startsWith('$')) fragments.push({ [key]: value });
    else fragments.push(compileField(prefix + key, value));
  }
  return fragments.length === 0 ? {} : mergeFragments(fragments);
}

function addModifier(mod: Modifier, op: string, path: string, value: unknown): void {
  (mod[op] ??= {})[path] = value;
}

function compileUpdateInto(mod: Modifier, data: Record<string, unknown>, prefix: string): void {
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const path = prefix + key;
    if (value instanceof UpdateCommand) addModifier(mod, value.op, path, value.value);
    else if (value instanceof QueryCommand) throw new ParamError(`query operator used in update data at "${path}"`);
    else if (isPlainObject(value) && Object.keys(value).length > 0 && !hasOperatorKey(value)) {
      // uniCloud merges a nested plain object into the existing one field by field; _.set(obj) replaces it.
      compileUpdateInto(mod, value, `${path}.`);
    } else addModifier(mod, '$set', path, value);
  }
}

/** Turns uniCloud update data into a MongoDB modifier. `_id` is immutable and never part of one. */
export function compileUpdate(data: unknown): Modifier {
  if (!isPlainObject(data)) throw new ParamError('update data must be an object');
  const { _id: _ignored, ...rest } = data;
  const mod: Modifier = {};
  compileUpdateInto(mod, rest, '');
  if (Object.keys(mod).length === 0) throw new ParamError('update data is empty');
  return mod;
}

/** Data for `add` and `doc().set()` must be literal values; an operator there is a caller bug. */
export function assertNoCommands(data: unknown, where: string): void {
  if (data instanceof QueryCommand || data instanceof UpdateCommand) throw new ParamError(`operator not allowed in ${where}`);
  if (Array.isArray(data)) data.forEach((v) => assertNoCommands(v, where));
  else if (isPlainObject(data)) Object.values(data).forEach((v) => assertNoCommands(v, where));
}

/**
 * The mingo entry points the store uses, over one lean shared context. mingo's default entry copies its whole
 * operator table (hundreds of expression operators) into every Query and every update call, which cost ~50 µs
 * and ~500 µs per call here; a context with only the query and projection operators, and the update operators
 * applied directly, keep the same semantics at ~10 µs and ~8 µs. Aggregation keeps mingo's full context.
 * The commonest shapes skip mingo altogether (simple.ts).
 */
import { Context } from 'mingo/core';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as updateOperators from 'mingo/operators/update';
import { Query } from 'mingo/query';
import { update as fullUpdate } from 'mingo/updater';
import { simpleModify } from './simple';

export { Aggregator } from 'mingo';

const context = Context.init({ query: queryOperators, projection: projectionOperators });

export function compileQuery(filter: Record<string, any>): Query {
  return new Query(filter, { context });
}

type UpdateOp = (expr: Record<string, any>) => (obj: Record<string, any>) => string[];
const UPDATE_OPS = updateOperators as unknown as Record<string, UpdateOp>;

/**
 * Applies a MongoDB modifier to `doc` in place and returns the modified paths (empty when nothing changed).
 * Positional paths (`arr.$.x`, `arr.$[e]`) need the matched filter, so they go through mingo's full updater.
 */
export function applyModifier(doc: Record<string, any>, modifier: Record<string, Record<string, any>>, filter: Record<string, any>): string[] {
  return simpleModify(doc, modifier) ?? mingoModify(doc, modifier, filter);
}

/** mingo's own application of a modifier (the reference simple.ts is held to). */
export function mingoModify(doc: Record<string, any>, modifier: Record<string, Record<string, any>>, filter: Record<string, any>): string[] {
  const positional = Object.values(modifier).some((expr) => Object.keys(expr).some((path) => path.includes('$')));
  if (positional) return fullUpdate(doc, modifier, undefined, filter, { queryOptions: { context } });
  const fields: string[] = [];
  for (const [op, expr] of Object.entries(modifier)) {
    const fn = UPDATE_OPS[op];
    if (!fn) throw new Error(`unknown update operator ${op}`);
    fields.push(...fn(expr)(doc));
  }
  return fields;
}

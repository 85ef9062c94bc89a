/**
 * Index declarations read from uniCloud's `<collection>.index.json` files, and the index keys a document yields.
 * Keys follow MongoDB: a missing field counts as null (so a non-sparse unique index admits one document without
 * the field), a sparse index skips documents that have none of its fields, and an array field is multikey.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ParamError } from '../../uni_modules/vk-pay/common/errors';

export interface IndexSpec {
  name: string;
  fields: string[];
  unique: boolean;
  sparse: boolean;
}

interface UniCloudIndexEntry {
  IndexName?: unknown;
  MgoKeySchema?: { MgoIndexKeys?: Array<{ Name?: unknown; Direction?: unknown }>; MgoIsUnique?: unknown; MgoIsSparse?: unknown };
}

const INDEX_SUFFIX = '.index.json';

function parseIndexFile(file: string): IndexSpec[] {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(raw)) throw new ParamError(`${file}: expected an array of index declarations`);
  const specs: IndexSpec[] = [];
  for (const entry of raw as UniCloudIndexEntry[]) {
    const keys = entry.MgoKeySchema?.MgoIndexKeys;
    if (typeof entry.IndexName !== 'string' || !Array.isArray(keys) || keys.length === 0) {
      throw new ParamError(`${file}: every index needs IndexName and MgoKeySchema.MgoIndexKeys`);
    }
    // Geo (2dsphere) and other special indexes do not constrain or speed up equality; only 1/-1 keys count here.
    if (!keys.every((k) => typeof k.Name === 'string' && ['1', '-1', 1, -1].includes(k.Direction as string))) continue;
    const fields = keys.map((k) => k.Name as string);
    if (fields.length === 1 && fields[0] === '_id') continue; // the primary key is already unique
    specs.push({
      name: entry.IndexName,
      fields,
      unique: entry.MgoKeySchema?.MgoIsUnique === true,
      sparse: entry.MgoKeySchema?.MgoIsSparse === true,
    });
  }
  return specs;
}

/** Every `<collection>.index.json` in `dir`, by collection name. A missing directory means no indexes. */
/**
 * The `<collection>.index.json` files of one folder or of several (a project's own `uniCloud/database` and each
 * `uni_modules/<plugin>/uniCloud/database`, which HBuilderX initialises together); a later folder's file for the
 * same collection adds its indexes.
 */
export function loadIndexSpecs(dirs: string | readonly string[]): Map<string, IndexSpec[]> {
  const out = new Map<string, IndexSpec[]>();
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      if (!file.endsWith(INDEX_SUFFIX)) continue;
      const name = file.slice(0, -INDEX_SUFFIX.length);
      out.set(name, [...(out.get(name) ?? []), ...parseIndexFile(join(dir, file))]);
    }
  }
  return out;
}

/** The parts of a dotted path, split once per distinct path (index fields are a handful of fixed strings). */
const splitPaths = new Map<string, string[]>();
function partsOf(path: string): string[] {
  let parts = splitPaths.get(path);
  if (!parts) {
    parts = path.split('.');
    if (splitPaths.size > 10_000) splitPaths.clear();
    splitPaths.set(path, parts);
  }
  return parts;
}

/** A dotted path's value; through an array of subdocuments it yields the array of their values (as MongoDB does). */
export function getPath(doc: unknown, path: string): unknown {
  // A top-level field of a document (every index field but dotted ones): one property read.
  if (!path.includes('.') && doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return (doc as Record<string, unknown>)[path];
  let cur: unknown = doc;
  const parts = partsOf(path);
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur) && !/^\d+$/.test(parts[i])) {
      const rest = parts.slice(i).join('.');
      return cur.flatMap((el) => { const v = getPath(el, rest); return v === undefined ? [] : Array.isArray(v) ? v : [v]; });
    }
    cur = (cur as Record<string, unknown>)[parts[i]];
  }
  return cur;
}

export type KeyPart = string | number | boolean | null;

/**
 * An lmdb key part for one value. Strings, finite numbers, booleans and null are stored as themselves (so 1 and
 * '1' stay distinct, as in MongoDB); anything else gets a tagged string form that cannot collide with a plain
 * string because plain strings never start with NUL in practice, and equal values always encode equally.
 */
export function encodeKeyPart(v: unknown): KeyPart {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : `\u0000num:${String(v)}`;
  if (v instanceof Date) return `\u0000date:${v.getTime()}`;
  return `\u0000json:${JSON.stringify(v)}`;
}

/** The key tuples (one per multikey combination) a document contributes to an index; empty when sparse-skipped. */
export function indexKeysOf(spec: IndexSpec, doc: Record<string, unknown>): KeyPart[][] {
  const values = spec.fields.map((f) => getPath(doc, f));
  if (spec.sparse && values.every((v) => v === undefined)) return [];
  // The common case, no array among the values: exactly one tuple (what the general loop below yields for it).
  if (!values.some(Array.isArray)) return [values.map(encodeKeyPart)];
  const arrays = values.filter(Array.isArray);
  if (arrays.length > 1) throw new ParamError(`index ${spec.name}: cannot index two array fields in one document`);
  let tuples: KeyPart[][] = [[]];
  for (const v of values) {
    const parts = Array.isArray(v) ? (v.length === 0 ? [null] : [...new Set(v.map(encodeKeyPart))]) : [encodeKeyPart(v)];
    tuples = tuples.flatMap((t) => parts.map((p) => [...t, p]));
  }
  return tuples;
}

/** A value usable for an index equality lookup: a scalar whose index key is exactly the value itself. */
export function isIndexableScalar(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/**
 * The index keys a document yields (index-spec.ts), including the shortcuts for top-level fields and for
 * documents without an array among an index's values: every shape gives what MongoDB's multikey rules say.
 */
import { describe, expect, it } from 'vitest';
import { getPath, indexKeysOf, type IndexSpec } from '../../../local/db/index-spec';

const spec = (fields: string[], opts: Partial<IndexSpec> = {}): IndexSpec => ({ name: fields.join('_'), fields, unique: false, sparse: false, ...opts });

describe('getPath', () => {
  it('reads top-level and dotted fields, and through arrays of subdocuments', () => {
    expect(getPath({ a: 1 }, 'a')).toBe(1);
    expect(getPath({ a: { b: 2 } }, 'a.b')).toBe(2);
    expect(getPath({ a: [{ b: 1 }, { b: [2, 3] }, {}] }, 'a.b')).toEqual([1, 2, 3]);
    expect(getPath({ a: [[{ b: 1 }]] }, 'a.b')).toEqual([1]);
    expect(getPath({ a: [5, 6] }, 'a.1')).toBe(6);
    expect(getPath({}, 'a.b')).toBeUndefined();
    expect(getPath(null, 'a')).toBeUndefined();
  });

  it('an array given for a plain field name yields its elements\' values (the recursion through arrays)', () => {
    expect(getPath([{ x: 1 }, { x: 2 }, { y: 3 }], 'x')).toEqual([1, 2]);
  });
});

describe('indexKeysOf', () => {
  it('scalar values give one tuple; a missing field counts as null', () => {
    expect(indexKeysOf(spec(['f', 'g']), { f: 'x', g: 2 })).toEqual([['x', 2]]);
    expect(indexKeysOf(spec(['f', 'g']), { g: 2 })).toEqual([[null, 2]]);
    expect(indexKeysOf(spec(['a.b']), { a: { b: true } })).toEqual([[true]]);
  });

  it('a sparse index skips a document with none of its fields, not one with some', () => {
    expect(indexKeysOf(spec(['f', 'g'], { sparse: true }), { h: 1 })).toEqual([]);
    expect(indexKeysOf(spec(['f', 'g'], { sparse: true }), { g: 1 })).toEqual([[null, 1]]);
  });

  it('an array value is multikey: one tuple per distinct element, an empty array as null', () => {
    expect(indexKeysOf(spec(['f', 'g']), { f: ['a', 'b', 'a'], g: 1 })).toEqual([['a', 1], ['b', 1]]);
    expect(indexKeysOf(spec(['f']), { f: [] })).toEqual([[null]]);
    expect(indexKeysOf(spec(['a.b']), { a: [{ b: 1 }, { b: 2 }] })).toEqual([[1], [2]]);
    expect(() => indexKeysOf(spec(['f', 'g']), { f: [1], g: [2] })).toThrow(/two array fields/);
  });

  it('values that are not plain key parts get a tagged form, equal values equally', () => {
    const [[o]] = indexKeysOf(spec(['f']), { f: { x: 1 } });
    expect(o).toBe('\u0000json:{"x":1}');
    expect(indexKeysOf(spec(['f']), { f: Infinity })).toEqual([['\u0000num:Infinity']]);
    expect(indexKeysOf(spec(['f']), { f: new Date(5) })).toEqual([['\u0000date:5']]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempDb, type TempDb } from './helpers';

let t: TempDb;
// The goods data set of uniCloud's own query-command examples (cf-database.md).
const GOODS = [
  { _id: 'g1', type: { brand: 'A', name: 'A-01', memory: 16, cpu: 3.2 }, category: 'computer', quarter: '2020 Q2', price: 2500 },
  { _id: 'g2', type: { brand: 'X', name: 'X-01', memory: 8, cpu: 4.0 }, category: 'computer', quarter: '2020 Q3', price: 6500 },
  { _id: 'g3', type: { brand: 'S', name: 'S-01', author: 'S-01-A' }, category: 'book', quarter: '2020 Q3', price: 20 },
];
beforeEach(async () => {
  t = await openTempDb();
  await t.db.collection('goods').add(GOODS);
});
afterEach(async () => { await t.dispose(); });

const ids = async (where: Record<string, any>) =>
  (await t.db.collection('goods').where(where).get()).data.map((d) => d._id).sort();

describe('where: uniCloud query semantics', () => {
  it('a nested plain object matches nested fields, not the whole sub-object', async () => {
    expect(await ids({ category: 'computer', type: { memory: 8 } })).toEqual(['g2']);
    expect(await ids({ 'type.brand': 'S' })).toEqual(['g3']);
  });

  it('_.eq(object) matches the whole sub-object exactly', async () => {
    const _ = t.db.command;
    expect(await ids({ type: _.eq({ brand: 'S', name: 'S-01' }) })).toEqual([]);
    expect(await ids({ type: _.eq({ brand: 'S', name: 'S-01', author: 'S-01-A' }) })).toEqual(['g3']);
  });

  it('comparison operators: neq, gt, gte, lt, lte', async () => {
    const _ = t.db.command;
    expect(await ids({ category: 'computer', type: { brand: _.neq('X') } })).toEqual(['g1']);
    expect(await ids({ price: _.gt(2500) })).toEqual(['g2']);
    expect(await ids({ price: _.gte(2500) })).toEqual(['g1', 'g2']);
    expect(await ids({ price: _.lt(2500) })).toEqual(['g3']);
    expect(await ids({ price: _.lte(2500) })).toEqual(['g1', 'g3']);
  });

  it('in, nin and exists', async () => {
    const _ = t.db.command;
    expect(await ids({ type: { memory: _.in([8, 16]) } })).toEqual(['g1', 'g2']);
    expect(await ids({ category: 'computer', type: { memory: _.nin([8, 16]) } })).toEqual([]);
    expect(await ids({ 'type.author': _.exists(true) })).toEqual(['g3']);
    expect(await ids({ 'type.author': _.exists(false) })).toEqual(['g1', 'g2']);
  });

  it('chained operators AND together: _.gte(a).lte(b) and _.gt(a).and(_.lt(b))', async () => {
    const _ = t.db.command;
    expect(await ids({ price: _.gte(20).lte(2500) })).toEqual(['g1', 'g3']);
    expect(await ids({ type: { memory: _.gt(4).and(_.lt(32)) } })).toEqual(['g1', 'g2']);
    expect(await ids({ price: _.lt(4000).or(_.gt(6000).and(_.lt(8000))) })).toEqual(['g1', 'g2', 'g3']);
  });

  it('_.and / _.or at field level, in spread and in array form', async () => {
    const _ = t.db.command;
    expect(await ids({ type: { memory: _.and(_.gt(4), _.lt(10)) } })).toEqual(['g2']);
    expect(await ids({ type: { memory: _.and([_.gt(4), _.lt(10)]) } })).toEqual(['g2']);
    expect(await ids({ price: _.or(_.lt(100), _.gt(6000)) })).toEqual(['g2', 'g3']);
    expect(await ids({ price: _.or([_.lt(100), _.gt(6000)]) })).toEqual(['g2', 'g3']);
  });

  it('_.or / _.and across fields as the whole where()', async () => {
    const _ = t.db.command;
    const or = await t.db.collection('goods').where(_.or({ type: { memory: _.gt(8) } }, { category: 'book' })).get();
    expect(or.data.map((d) => d._id).sort()).toEqual(['g1', 'g3']);
    const orArr = await t.db.collection('goods').where(_.or([{ price: 20 }, { price: 6500 }])).count();
    expect(orArr.total).toBe(2);
    const and = await t.db.collection('goods').where(_.and([{ category: 'computer' }, { price: _.gt(3000) }])).get();
    expect(and.data.map((d) => d._id)).toEqual(['g2']);
  });

  it('regular expressions match strings', async () => {
    expect(await ids({ quarter: /Q3$/ })).toEqual(['g2', 'g3']);
    expect(await ids({ type: { name: new RegExp('^a-', 'i') } })).toEqual(['g1']);
  });

  it('a scalar condition matches an array field containing it, and dotted paths reach into arrays', async () => {
    const c = t.db.collection('class');
    await c.add([{ _id: '1', students: ['li', 'wang'], subs: [{ name: 'li' }] }, { _id: '2', students: ['zhao'], subs: [{ name: 'wang' }] }]);
    expect((await c.where({ students: 'wang' }).get()).data.map((d) => d._id)).toEqual(['1']);
    expect((await c.where({ 'students.1': 'wang' }).get()).data.map((d) => d._id)).toEqual(['1']);
    expect((await c.where({ 'subs.name': 'wang' }).get()).data.map((d) => d._id)).toEqual(['2']);
  });

  it('an undefined condition is refused rather than silently widening the match', async () => {
    expect(() => t.db.collection('goods').where({ _id: undefined, price: 20 })).toThrow(/undefined/);
  });

  it('count honours where and ignores skip/limit', async () => {
    expect((await t.db.collection('goods').where({ category: 'computer' }).limit(1).count()).total).toBe(2);
  });
});

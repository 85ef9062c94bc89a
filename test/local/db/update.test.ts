import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTempDb, type TempDb } from './helpers';

let t: TempDb;
let id: string;
beforeEach(async () => {
  t = await openTempDb();
  id = (await t.db.collection('photo').add({ name: 'Hello', count: { fav: 0, follow: 0 }, users: ['a', 'b'], rating: 5 })).id;
});
afterEach(async () => { await t.dispose(); });

const read = async () => (await t.db.collection('photo').doc(id).get()).data[0];

describe('update semantics', () => {
  it('a nested plain object merges into the existing object field by field', async () => {
    expect(await t.db.collection('photo').doc(id).update({ name: 'Hey', count: { fav: 1 } })).toEqual({ updated: 1 });
    expect(await read()).toMatchObject({ name: 'Hey', count: { fav: 1, follow: 0 } });
  });

  it('_.set(object) replaces the field as a whole', async () => {
    const _ = t.db.command;
    await t.db.collection('photo').doc(id).update({ count: _.set({ fav: 1 }) });
    expect((await read()).count).toEqual({ fav: 1 });
  });

  it('answers {updated: 0} when the data is unchanged and when nothing matches', async () => {
    expect(await t.db.collection('photo').doc(id).update({ name: 'Hello', count: { fav: 0 } })).toEqual({ updated: 0 });
    expect(await t.db.collection('photo').doc('missing').update({ name: 'x' })).toEqual({ updated: 0 });
    expect(await t.db.collection('photo').where({ name: 'nobody' }).update({ name: 'x' })).toEqual({ updated: 0 });
  });

  it('where().update counts every matching document that changed', async () => {
    const c = t.db.collection('photo');
    await c.add([{ name: 'Hello', k: 1 }, { name: 'Hello', k: 2 }, { name: 'Other' }]);
    expect(await c.where({ name: 'Hello' }).update({ k: 2 })).toEqual({ updated: 2 }); // the k: 2 one is unchanged
    expect((await c.where({ k: 2 }).count()).total).toBe(3);
  });

  it('_.inc, _.remove, _.push (one value or an array), _.mul', async () => {
    const _ = t.db.command;
    await t.db.collection('photo').doc(id).update({
      count: { fav: _.inc(3), follow: _.inc(-1) }, rating: _.remove(), users: _.push(['c', 'd']),
    });
    await t.db.collection('photo').doc(id).update({ users: _.push('e'), count: { fav: _.mul(10) } });
    const doc = await read();
    expect(doc.count).toEqual({ fav: 30, follow: -1 });
    expect('rating' in doc).toBe(false);
    expect(doc.users).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('_.unshift, _.pop and _.shift edit arrays at either end', async () => {
    const _ = t.db.command;
    await t.db.collection('photo').doc(id).update({ users: _.unshift(['y', 'z']) });
    expect((await read()).users).toEqual(['y', 'z', 'a', 'b']);
    await t.db.collection('photo').doc(id).update({ users: _.pop() });
    await t.db.collection('photo').doc(id).update({ users: _.shift() });
    expect((await read()).users).toEqual(['z', 'a']);
  });

  it('dotted keys and array indexes update a single nested element', async () => {
    await t.db.collection('photo').doc(id).update({ 'count.follow': 7, users: { 1: 'B' } });
    const doc = await read();
    expect(doc.count.follow).toBe(7);
    expect(doc.users).toEqual(['a', 'B']);
  });

  it('the positional $ updates the array element the where() matched', async () => {
    const c = t.db.collection('query');
    await c.add({ _id: '1', students: [{ id: '001', name: 'zhang' }, { id: '002', name: 'wang' }] });
    expect(await c.where({ 'students.id': '001' }).update({ 'students.$.name': 'li' })).toEqual({ updated: 1 });
    expect((await c.doc('1').get()).data[0].students).toEqual([{ id: '001', name: 'li' }, { id: '002', name: 'wang' }]);
  });

  it('_id in update data is ignored; empty update data is refused', async () => {
    expect(await t.db.collection('photo').doc(id).update({ _id: 'other', name: 'N' })).toEqual({ updated: 1 });
    expect((await read())._id).toBe(id);
    await expect(t.db.collection('photo').doc(id).update({})).rejects.toMatchObject({ code: 40001 });
  });

  it('updateAndReturn updates only the first match (in orderBy order) and returns it after the update', async () => {
    const _ = t.db.command;
    const c = t.db.collection('scores');
    await c.add([{ uid: '1', score: 0, rank: 2 }, { uid: '1', score: 0, rank: 1 }]);
    const res = await c.where({ uid: '1' }).orderBy('rank', 'asc').updateAndReturn({ score: _.inc(2) });
    expect(res.updated).toBe(1);
    expect(res.doc).toMatchObject({ uid: '1', score: 2, rank: 1 });
    expect((await c.where({ score: 2 }).count()).total).toBe(1);
    expect(await c.where({ uid: 'none' }).updateAndReturn({ score: 1 })).toEqual({ updated: 0, doc: null });
  });

  it('an operator in add()/set() data is refused', async () => {
    const _ = t.db.command;
    await expect(t.db.collection('photo').add({ n: _.inc(1) })).rejects.toMatchObject({ code: 40001 });
    await expect(t.db.collection('photo').doc(id).set({ n: _.inc(1) })).rejects.toMatchObject({ code: 40001 });
  });
});

// A run of uniCloud database calls covering what vk-pay's data layer uses (every query and update operator of
// db.command, chained commands, _.or/_.and, nested fields, projections, paging, doc() calls, updateAndReturn,
// aggregation with $ operators, a duplicate key, an undefined condition). ipc-database.test.ts runs it once on the
// local database directly and once from a child process through the IPC client, and compares every answer.
// Plain CommonJS: it runs on Node 16 in the child.
'use strict';

async function attempt(fn) {
  try {
    return { ok: await fn() };
  } catch (err) {
    return { error: { name: err.name, code: err.code, message: String(err.message).replace(/\s+/g, ' ') } };
  }
}

module.exports = async function probe(db) {
  const _ = db.command;
  const $ = _.aggregate;
  const items = db.collection('probe_items');
  const out = [];
  const step = async (label, fn) => out.push([label, await attempt(fn)]);

  await step('add one', () => items.add({ _id: 'a', kind: 'x', n: 1, tags: ['p'], meta: { owner: 'u1', level: 2 }, at: new Date(0) }));
  await step('add many', () => items.add([
    { _id: 'b', kind: 'x', n: 2, tags: [], meta: { owner: 'u2', level: 1 } },
    { _id: 'c', kind: 'y', n: 3, tags: ['q'], meta: { owner: 'u1', level: 3 } },
    { _id: 'd', kind: 'y', n: 4, tags: [], meta: { owner: 'u3', level: 0 }, gone: true },
  ]));
  await step('duplicate _id', () => items.add({ _id: 'a', kind: 'z', n: 9 }));
  await step('range, chained', () => items.where({ n: _.gte(2).lte(3) }).orderBy('n', 'asc').get());
  await step('in / nin / neq', () => items.where({ kind: _.in(['x', 'y']), _id: _.nin(['d']), n: _.neq(2) }).orderBy('_id', 'desc').get());
  await step('or of fields', () => items.where(_.or([{ n: _.lt(2) }, { 'meta.level': _.gt(2) }])).orderBy('_id', 'asc').get());
  await step('and, exists', () => items.where(_.and([{ kind: 'y' }, { gone: _.exists(false) }])).get());
  await step('nested object match', () => items.where({ meta: { owner: 'u1' } }).orderBy('n', 'desc').field({ n: true, meta: true }).get());
  await step('paging', () => items.where({}).orderBy('n', 'desc').skip(1).limit(2).get());
  await step('count', () => items.where({ kind: 'x' }).count());
  await step('conditional update', () => items.where({ _id: 'a', n: 1 }).update({ n: _.inc(10), tags: _.push(['r']), meta: { level: 5 }, at: _.remove() }));
  await step('conditional update, no match', () => items.where({ _id: 'a', n: 1 }).update({ n: 0 }));
  await step('update, mul/pop/unshift/set', () => items.where({ _id: 'c' }).update({ n: _.mul(2), tags: _.unshift(['s']), meta: _.set({ owner: 'u9' }) }));
  await step('pop and shift', () => items.where({ _id: 'a' }).update({ tags: _.pop() }));
  await step('updateAndReturn', () => items.where({ kind: 'y', n: _.gt(3) }).updateAndReturn({ kind: 'w' }));
  await step('doc get', () => items.doc('a').get());
  await step('doc update', () => items.doc('b').update({ n: _.inc(-1) }));
  await step('doc set (replace)', () => items.doc('b').set({ kind: 'x', n: 7 }));
  await step('doc set (create)', () => items.doc('e').set({ kind: 'v', n: 5 }));
  await step('doc remove', () => items.doc('d').remove());
  await step('aggregate', () => items.aggregate().match({ n: _.gte(0) }).group({ _id: '$kind', total: $.sum('$n'), count: $.sum(1) }).sort({ _id: 1 }).end());
  await step('aggregate project', () => items.aggregate().project({ _id: 1, twice: $.multiply(['$n', 2]) }).sort({ _id: 1 }).limit(3).end());
  await step('undefined condition', () => items.where({ kind: undefined }).update({ n: 0 }));
  await step('remove by query', () => items.where({ kind: 'v' }).remove());
  await step('everything left', () => items.where({}).orderBy('_id', 'asc').get());
  return out;
};

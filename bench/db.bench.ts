/**
 * Part 1, writes. The embedded database (local/db) per operation: 5,000 inserts and 5,000 conditional updates
 * (`where({_id, status: 'pending'}).update({status: 'paid'})` and the same through the unique `out_trade_no`
 * index), issued 100 at a time as concurrent requests would be. Baselines measured in the same run:
 * raw lmdb puts of the same documents (the store's floor: durable batched commits, no query, no index) and
 * mingo over an in-memory Map through the same entry points as the store (the semantics, no persistence).
 *
 * Part 2, the planner on 10,000 documents: a where() with two `_.or` conditions (compiled to `$and` of `$or`s,
 * the shape the timer's sweeps used to write) read through the planner ("after": a union of unique-index reads),
 * and the same filter hidden from the planner inside `$nor` of `$nor` ("before": the full scan the planner did
 * when only top-level equalities counted), each against a top-level `out_trade_no` equality measured in the
 * same round.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { openLocalDatabase } from '../local/db/index';
import { createCommand } from '../local/db/command';
import { applyModifier, compileQuery } from '../local/db/mingo';
import { median, printRow } from './stats';

const N = 5_000;
const WINDOW = 100;
const ROUNDS = 5;

const makeDoc = (i: number) => ({ out_trade_no: `B${i}`, status: 'pending', total_fee: 100 + i, user_id: `u${i % 50}` });

/** Runs `op(0..N-1)` WINDOW at a time and returns microseconds per operation. */
async function timed(op: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i += WINDOW) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(N, i + WINDOW); j++) batch.push(op(j));
    await Promise.all(batch);
  }
  return Number(process.hrtime.bigint() - start) / 1e3 / N;
}

function tempDir(): string { return mkdtempSync(join(tmpdir(), 'vkpay-bench-db-')); }

interface Figures { insert: number; updateById: number; updateByIndex: number }

async function embedded(): Promise<Figures> {
  const dir = tempDir();
  const indexDir = join(dir, 'indexes');
  mkdirSync(indexDir);
  writeFileSync(join(indexDir, 'orders.index.json'), JSON.stringify([
    { IndexName: 'out_trade_no', MgoKeySchema: { MgoIndexKeys: [{ Name: 'out_trade_no', Direction: '1' }], MgoIsUnique: true } },
  ]));
  const db = await openLocalDatabase({ path: join(dir, 'db'), indexDir });
  try {
    const c = db.collection('orders');
    const ids: string[] = [];
    const insert = await timed(async (i) => { ids[i] = (await c.add(makeDoc(i))).id; });
    const updateById = await timed((i) => c.where({ _id: ids[i], status: 'pending' }).update({ status: 'paid' }));
    const updateByIndex = await timed((i) => c.where({ out_trade_no: `B${i}`, status: 'paid' }).update({ status: 'refunded' }));
    const check = await c.where({ status: 'refunded' }).count();
    if (check.total !== N) throw new Error(`bench sanity: expected ${N} refunded, found ${check.total}`);
    return { insert, updateById, updateByIndex };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor: the same writes as plain lmdb puts (read-modify-put for the update, no atomicity, no index). */
async function rawLmdb(): Promise<Figures> {
  const dir = tempDir();
  const root = open({ path: join(dir, 'raw.mdb') });
  try {
    const insert = await timed((i) => root.put(['orders', `id${i}`], { _id: `id${i}`, ...makeDoc(i) }));
    const update = await timed((i) => {
      const doc = root.get(['orders', `id${i}`]);
      return root.put(['orders', `id${i}`], { ...doc, status: 'paid' });
    });
    return { insert, updateById: update, updateByIndex: update };
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** mingo over a Map: the same query and update semantics without any storage. */
async function mingoMemory(): Promise<Figures> {
  const docs = new Map<string, Record<string, any>>();
  const byNo = new Map<string, string>();
  const insert = await timed(async (i) => { const d = { _id: `id${i}`, ...makeDoc(i) }; docs.set(d._id, d); byNo.set(d.out_trade_no, d._id); });
  const condUpdate = (id: string | undefined, filter: Record<string, any>, set: Record<string, any>) => {
    const doc = id ? docs.get(id) : undefined;
    return doc && compileQuery(filter).test(doc) ? applyModifier(doc, { $set: set }, filter).length : 0;
  };
  const updateById = await timed(async (i) => condUpdate(`id${i}`, { _id: `id${i}`, status: 'pending' }, { status: 'paid' }));
  const updateByIndex = await timed(async (i) => condUpdate(byNo.get(`B${i}`), { out_trade_no: `B${i}`, status: 'paid' }, { status: 'refunded' }));
  return { insert, updateById, updateByIndex };
}

const QUERY_DOCS = 10_000;
interface QueryFigures { equality: number; andOfOrs: number; andOfOrsScan: number }

/** Microseconds per query: `reps` queries, one after another, each built by `q(i)`. */
async function perQuery(reps: number, q: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) await q(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / reps;
}

async function queries(): Promise<QueryFigures> {
  const dir = tempDir();
  const indexDir = join(dir, 'indexes');
  mkdirSync(indexDir);
  writeFileSync(join(indexDir, 'orders.index.json'), JSON.stringify([
    { IndexName: 'out_trade_no', MgoKeySchema: { MgoIndexKeys: [{ Name: 'out_trade_no', Direction: '1' }], MgoIsUnique: true } },
    { IndexName: 'status', MgoKeySchema: { MgoIndexKeys: [{ Name: 'status', Direction: '1' }], MgoIsUnique: false } },
  ]));
  const db = await openLocalDatabase({ path: join(dir, 'db'), indexDir });
  try {
    const c = db.collection('orders');
    for (let i = 0; i < QUERY_DOCS; i += 500) {
      await c.add(Array.from({ length: 500 }, (_x, j) => ({ ...makeDoc(i + j), status: ['pending', 'paid', 'closed'][(i + j) % 3] })));
    }
    const _ = createCommand();
    const no = (i: number) => `B${(i * 7919) % QUERY_DOCS}`;
    const andOfOrs = (i: number) => ({ out_trade_no: _.or(_.eq(no(i)), _.eq(no(i + 1))), status: _.or(_.eq('pending'), _.eq('paid')) });
    const hidden = (i: number) => ({ $nor: [{ $nor: [{ $and: [
      { $or: [{ out_trade_no: no(i) }, { out_trade_no: no(i + 1) }] }, { $or: [{ status: 'pending' }, { status: 'paid' }] },
    ] }] }] });
    // sanity: both forms find the same documents
    for (let i = 0; i < 5; i++) {
      const a = (await c.where(andOfOrs(i)).get()).data.map((d) => d._id);
      const b = (await c.where(hidden(i)).get()).data.map((d) => d._id);
      if (JSON.stringify(a) !== JSON.stringify(b) || a.length === 0) throw new Error(`bench sanity: planner and scan disagree on query ${i}`);
    }
    return {
      equality: await perQuery(500, (i) => c.where({ out_trade_no: no(i) }).get()),
      andOfOrs: await perQuery(500, (i) => c.where(andOfOrs(i)).get()),
      andOfOrsScan: await perQuery(20, (i) => c.where(hidden(i)).get()),
    };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<void> {
  console.log(`${N} operations, ${WINDOW} in flight, median of ${ROUNDS} rounds (each on a fresh database)`);
  // Rounds interleave the three so that machine noise lands on the baseline and on local/db alike.
  const runs: Array<{ raw: Figures; mem: Figures; ours: Figures }> = [];
  for (let r = 0; r < ROUNDS; r++) runs.push({ raw: await rawLmdb(), mem: await mingoMemory(), ours: await embedded() });
  const med = (pick: (x: (typeof runs)[number]) => number) => median(runs.map(pick));
  const rows: Array<[string, number, number | undefined]> = [
    ['raw lmdb put (baseline): insert', med((x) => x.raw.insert), undefined],
    ['raw lmdb get+put (baseline): update', med((x) => x.raw.updateById), undefined],
    ['mingo in memory, no persistence: insert', med((x) => x.mem.insert), undefined],
    ['mingo in memory, no persistence: cond. update', med((x) => x.mem.updateById), undefined],
    ['local/db add()', med((x) => x.ours.insert), med((x) => x.ours.insert / x.raw.insert)],
    ['local/db where({_id, status}).update()', med((x) => x.ours.updateById), med((x) => x.ours.updateById / x.raw.updateById)],
    ['local/db where({out_trade_no, status}).update()', med((x) => x.ours.updateByIndex), med((x) => x.ours.updateByIndex / x.raw.updateByIndex)],
  ];
  for (const [label, value, ratio] of rows) {
    // printRow's ratio is value/baseline; passing value/ratio as the baseline prints the median per-round ratio.
    printRow(label, value, 'µs/op', ratio === undefined ? undefined : { label: 'raw lmdb (median per-round ratio)', value: value / ratio });
  }

  console.log(`\nqueries on ${QUERY_DOCS} documents, median of ${ROUNDS} rounds (each on a fresh database)`);
  const q: QueryFigures[] = [];
  for (let r = 0; r < ROUNDS; r++) q.push(await queries());
  const qmed = (pick: (x: QueryFigures) => number) => median(q.map(pick));
  const base = { label: 'top-level equality (median per-round ratio)' };
  printRow('where({out_trade_no}) top-level equality', qmed((x) => x.equality), 'µs/query');
  for (const [label, pick] of [
    ['$and of two $or, planner (after)', (x: QueryFigures) => x.andOfOrs],
    ['$and of two $or, full scan (before)', (x: QueryFigures) => x.andOfOrsScan],
  ] as const) {
    const value = qmed(pick);
    printRow(label, value, 'µs/query', { ...base, value: value / qmed((x) => pick(x) / x.equality) });
  }
}

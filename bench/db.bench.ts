/**
 * The embedded database (local/db) per operation: 5,000 inserts and 5,000 conditional updates
 * (`where({_id, status: 'pending'}).update({status: 'paid'})` and the same through the unique `out_trade_no`
 * index), issued 100 at a time as concurrent requests would be. Baselines measured in the same run:
 * raw lmdb puts of the same documents (the store's floor: durable batched commits, no query, no index) and
 * mingo over an in-memory Map through the same entry points as the store (the semantics, no persistence).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { openLocalDatabase } from '../local/db/index';
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
}

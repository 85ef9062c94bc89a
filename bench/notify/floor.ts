/**
 * Two floors between the bare server and the local host: servers that verify and decrypt exactly as the bare
 * server does, and then durably write the least any exactly-once design must write for a first delivery, with
 * none of the core (no bounds, no merchant binding, no hooks, no uniCloud function emulation):
 *
 *   database  on the local database (local/db: lmdb + mingo, the host's own store and index declarations):
 *             read the order by out_trade_no; if pending, ONE conditional update to paid carrying the transaction
 *             id (then the payment_logs row and the raw payment_notifications row, issued together); a repeat
 *             reads the order and writes its log row.
 *   lmdb      the same documents and the same index entries (computed from the same index declarations), put
 *             straight into lmdb in the same two commits, without the store's layers (planner, mingo, unique
 *             checks): what the records cost on this engine, whatever sits above it.
 *
 * If these floors stay far under the bare server, no work inside the core can bring the host closer than they
 * are: the gap is the price of the records themselves on this machine.
 */
import path from 'node:path';
import { open, type Key, type RootDatabase } from 'lmdb';
import { openLocalDatabase, type LocalDatabase } from '../../local/db/index';
import { indexKeysOf, loadIndexSpecs, type IndexSpec } from '../../local/db/index-spec';
import { newObjectId } from '../../local/db/object-id';
import type { SandboxCredentials } from '../../sandbox/credentials';
import { createBareVerifier, serveNotifications, type NotifyServer, type PaidRead } from './bare';
import type { BenchChannel } from './genuine';

const INDEX_DIR = path.resolve(__dirname, '../../uni_modules/vk-pay/uniCloud/database');

type Doc = Record<string, unknown> & { _id: string };

/** The fields the core's pay move sets (apply-payment.ts), so both floors write documents of the host's size. */
function paidFields(order: Doc, fact: PaidRead, now: number): Record<string, unknown> {
  return {
    status: 'paid', transaction_id: fact.transaction_id, paid_at: now, refundable_remaining: order.amount, paid_source: 'notify',
    paid_recorded_at: now, update_date: now,
  };
}

const historyEntry = (now: number) => ({ event: 'pay', to: 'paid', at: now, source: 'notify' });

function logRow(channel: BenchChannel, fact: PaidRead, status: string, now: number): Record<string, unknown> {
  return { type: 'notify', status, out_trade_no: fact.out_trade_no, provider: channel, amount: fact.amount, response_time: 1, detail: { channel, kind: 'paid', event_id: fact.event_id }, create_date: now };
}

function notificationRow(channel: BenchChannel, fact: PaidRead, now: number): Record<string, unknown> {
  return { event_key: `${channel}:${fact.event_id}`, channel, event_id: fact.event_id, kind: 'paid', out_trade_no: fact.out_trade_no, out_refund_no: '', raw: fact.raw, create_date: now };
}

export interface FloorServer extends NotifyServer {
  /** stores pending orders, as the host's own are stored */
  addOrders(docs: Array<Record<string, unknown>>): Promise<void>;
}

/** The database floor: the local database, the host's store with the host's index declarations. */
export async function startDatabaseFloor(creds: SandboxCredentials, dir: string): Promise<FloorServer> {
  const db: LocalDatabase = await openLocalDatabase({ path: dir, indexDir: INDEX_DIR });
  const verifier = createBareVerifier(creds);
  const _ = db.command;
  const server = await serveNotifications(async (channel, headers, body) => {
    const fact = verifier.read(channel, headers, body);
    if (!fact) return false;
    const now = Date.now();
    const { data: [order] } = await db.collection<Doc>('payment_orders').where({ out_trade_no: fact.out_trade_no }).limit(1).get();
    if (!order) return false;
    if (order.status !== 'pending') {
      await db.collection('payment_logs').add(logRow(channel, fact, 'duplicate', now));
      return order.transaction_id === fact.transaction_id;
    }
    const moved = await db.collection('payment_orders').where({ _id: order._id, status: 'pending' })
      .update({ ...paidFields(order, fact, now), history: _.push(historyEntry(now)) });
    if (moved.updated !== 1) return false;
    await Promise.all([db.collection('payment_logs').add(logRow(channel, fact, 'pay', now)), db.collection('payment_notifications').add(notificationRow(channel, fact, now))]);
    return true;
  });
  return {
    ...server,
    async addOrders(docs) {
      for (let k = 0; k < docs.length; k += 500) await db.collection('payment_orders').add(docs.slice(k, k + 500));
    },
    async close() {
      await server.close();
      await db.close();
    },
  };
}

/** The lmdb floor: the same documents and index entries, put straight into lmdb. */
export async function startLmdbFloor(creds: SandboxCredentials, dir: string): Promise<FloorServer> {
  const root: RootDatabase = open({ path: path.join(dir, 'floor.mdb') });
  const docs = root.openDB<Doc, Key>({ name: 'docs', useRecords: false } as { name: string });
  const idx = root.openDB<string, Key>({ name: 'idx' });
  const specs = loadIndexSpecs(INDEX_DIR);
  const keyOf = (coll: string, spec: IndexSpec, t: unknown[], id: string): Key => (spec.unique ? [coll, spec.name, ...t] : [coll, spec.name, ...t, id]) as Key;
  const entries = (coll: string, doc: Doc): Key[] => (specs.get(coll) ?? []).flatMap((spec) => indexKeysOf(spec, doc).map((t) => keyOf(coll, spec, t, doc._id)));
  const same = (a: unknown[][], b: unknown[][]) => a.length === b.length && a.every((t, i) => t.length === b[i].length && t.every((v, j) => v === b[i][j]));
  const insert = (coll: string, row: Record<string, unknown>): void => {
    // _ids as the store makes them (ObjectIds, later ones sorting after earlier ones): random ids would scatter
    // every insert over the B-tree and charge this floor for page copies the store does not make.
    const doc = { ...row, _id: newObjectId() } as Doc;
    docs.putSync([coll, doc._id], doc);
    for (const k of entries(coll, doc)) idx.putSync(k, doc._id);
  };
  const verifier = createBareVerifier(creds);
  const server = await serveNotifications(async (channel, headers, body) => {
    const fact = verifier.read(channel, headers, body);
    if (!fact) return false;
    const now = Date.now();
    const id = idx.get(['payment_orders', 'out_trade_no', fact.out_trade_no]);
    const order = id === undefined ? undefined : docs.get(['payment_orders', id]);
    if (!order) return false;
    if (order.status !== 'pending') {
      await root.transaction(() => insert('payment_logs', logRow(channel, fact, 'duplicate', now)));
      return order.transaction_id === fact.transaction_id;
    }
    // The conditional move: decided on the state inside the write, its changed index entries replaced.
    const moved = await root.transaction(() => {
      const before = docs.get(['payment_orders', order._id]);
      if (!before || before.status !== 'pending') return false;
      const after = { ...before, ...paidFields(before, fact, now), history: [...(before.history as unknown[]), historyEntry(now)] } as Doc;
      for (const spec of specs.get('payment_orders') ?? []) {
        const was = indexKeysOf(spec, before);
        const isNow = indexKeysOf(spec, after);
        if (same(was, isNow)) continue;
        for (const t of was) idx.removeSync(keyOf('payment_orders', spec, t, order._id));
        for (const t of isNow) idx.putSync(keyOf('payment_orders', spec, t, order._id), order._id);
      }
      docs.putSync(['payment_orders', order._id], after);
      return true;
    });
    if (!moved) return false;
    await root.transaction(() => {
      insert('payment_logs', logRow(channel, fact, 'pay', now));
      insert('payment_notifications', notificationRow(channel, fact, now));
    });
    return true;
  });
  return {
    ...server,
    async addOrders(rows) {
      await root.transaction(() => {
        for (const row of rows) insert('payment_orders', row);
      });
    },
    async close() {
      await server.close();
      await root.close();
    },
  };
}

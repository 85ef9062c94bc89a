/**
 * One fuzz campaign against the notify route of a running local host, per channel:
 *   - orders of the channel stored pending; half of them paid by their genuine notification first;
 *   - mutants of the PAID ones may be acknowledged only when the oracle says they still are the genuine
 *     notification (then they are duplicates and change nothing);
 *   - mutants of the PENDING ones that are not the genuine notification must never be acknowledged;
 *   - genuinely signed notifications with fields out of bounds, for a pending order, must be acknowledged
 *     (refused for good) - and change nothing either.
 * Afterwards every order is exactly as it was, no transaction row appeared, and what was stored about the junk
 * is bounded. Returns the replies by mutation kind and the violations found.
 */
import type { LocalDatabase } from '../../local/db/index';
import type { SandboxCredentials } from '../../sandbox/credentials';
import { isAccepted } from '../../sandbox/notifier';
import { mutate, rng, signedOversized, type Mutant } from './fuzz';
import { benchOrders, paidNotification, pendingOrderDoc, type BenchChannel } from './genuine';
import { pool, post } from './http';

export interface FuzzReport {
  channel: BenchChannel;
  sent: number;
  /** deliveries of genuinely signed, out-of-bounds notifications (each answered and recorded once) */
  signed: number;
  /** kind -> reply class -> count (reply class: `ack`, `retry <status>`, `413`, ...) */
  replies: Record<string, Record<string, number>>;
  violations: string[];
  /** rows written to payment_errors during the campaign, and the largest one in bytes */
  error_rows: number;
  largest_error_row: number;
  rejections_counted: number;
  elapsed_ms: number;
}

const INTERNAL_ERRORS = ['internal error', '"code":50000'];

function replyClass(channel: BenchChannel, status: number, body: string): string {
  if (status === 0) return 'no answer';
  if (isAccepted(channel, status, body)) return 'ack';
  if (INTERNAL_ERRORS.some((e) => body.includes(e))) return `crash ${status}`;
  return status === 413 ? '413 too large' : `retry ${status}`;
}

async function snapshot(db: LocalDatabase, nos: string[]): Promise<string> {
  const _ = db.command;
  const rows: unknown[] = [];
  for (let k = 0; k < nos.length; k += 200) rows.push(...(await db.collection('payment_orders').where({ out_trade_no: _.in(nos.slice(k, k + 200)) }).limit(500).get()).data);
  return JSON.stringify(rows.sort((a, b) => String((a as { _id: string })._id).localeCompare(String((b as { _id: string })._id))));
}

/** Where a mutant first differs from its genuine notification, for the report. */
function difference(base: string, body: Buffer): string {
  const a = Buffer.from(base, 'utf8');
  let i = 0;
  while (i < a.length && i < body.length && a[i] === body[i]) i++;
  const show = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, i - 24), i + 24).toString('latin1'));
  return `at byte ${i} of ${a.length}/${body.length}: ${show(a)} -> ${show(body)}`;
}

const count = async (db: LocalDatabase, name: string) => (await db.collection(name).count()).total;

export async function runFuzz(o: { base: string; db: LocalDatabase; creds: SandboxCredentials; channel: BenchChannel; orders: number; perOrder: number; seed: number; senders?: number }): Promise<FuzzReport> {
  const started = performance.now();
  const r = rng(o.seed);
  const url = `${o.base}/http/vk-pay-notify/${o.channel}`;
  const facts = benchOrders(`FZ${o.channel === 'alipay' ? 'A' : o.channel === 'wxpay' ? 'W' : 'V'}`, o.orders, o.channel);
  await o.db.collection('payment_orders').add(facts.map((f, i) => pendingOrderDoc({ channel: o.channel, out_trade_no: f.out_trade_no, amount: f.amount, user_id: `fuzz-u${i}`, type: 'goods' })));
  const violations: string[] = [];
  const paidFacts = facts.filter((_, i) => i % 2 === 0);
  const pendingFacts = facts.filter((_, i) => i % 2 === 1);
  const bases = new Map(facts.map((f) => [f.out_trade_no, paidNotification(o.creds, f)]));
  for (const f of paidFacts) {
    const n = bases.get(f.out_trade_no)!;
    const reply = await post(url, n.body, n.headers);
    if (!isAccepted(o.channel, reply.status, reply.body)) violations.push(`genuine notification for ${f.out_trade_no} not acknowledged: ${reply.status} ${reply.body.slice(0, 100)}`);
  }
  const nos = facts.map((f) => f.out_trade_no);
  const before = await snapshot(o.db, nos);
  const [errorsBefore, txBefore] = [await count(o.db, 'payment_errors'), await count(o.db, 'payment_transactions')];

  const work: Array<{ m: Mutant; of: 'paid' | 'pending' | 'signed'; base?: string }> = [];
  for (const f of paidFacts) for (const m of mutate(o.channel, bases.get(f.out_trade_no)!, o.perOrder, r)) work.push({ m, of: 'paid', base: bases.get(f.out_trade_no)!.body });
  for (const f of pendingFacts) for (const m of mutate(o.channel, bases.get(f.out_trade_no)!, o.perOrder, r)) if (!m.genuine) work.push({ m, of: 'pending', base: bases.get(f.out_trade_no)!.body });
  for (const f of pendingFacts.slice(0, 3)) for (const m of signedOversized(o.creds, o.channel, f, r)) work.push({ m, of: 'signed' }, { m, of: 'signed' });

  const replies: FuzzReport['replies'] = {};
  await pool(work, o.senders ?? 16, async ({ m, of, base }) => {
    const reply = await post(url, m.body, m.headers);
    const cls = replyClass(o.channel, reply.status, reply.body);
    (replies[m.kind] ??= {})[cls] = ((replies[m.kind] ??= {})[cls] ?? 0) + 1;
    if (cls === 'no answer' || cls.startsWith('crash')) violations.push(`${m.kind}: ${cls} ${reply.error ?? reply.body.slice(0, 120)}`);
    else if (of === 'signed' && cls !== 'ack') violations.push(`${m.kind}: a verified notification out of bounds got ${cls}, not a final acknowledgement`);
    else if (of !== 'signed' && cls === 'ack' && !m.genuine) violations.push(`${m.kind}: acknowledged although not the genuine notification (${of} order)${base ? `: ${difference(base, m.body)}` : ''}`);
  });

  // Still alive and still right: a genuine duplicate is acknowledged.
  const again = bases.get(paidFacts[0].out_trade_no)!;
  const alive = await post(url, again.body, again.headers);
  if (!isAccepted(o.channel, alive.status, alive.body)) violations.push(`after the campaign a genuine duplicate got ${alive.status}`);
  if ((await snapshot(o.db, nos)) !== before) violations.push('an order changed during the campaign');
  if ((await count(o.db, 'payment_transactions')) !== txBefore) violations.push('a transaction row (orphan / second payment) was written for a mutant');
  const errorRows = (await o.db.collection<Record<string, unknown>>('payment_errors').orderBy('create_date', 'desc').limit(500).get()).data
    .slice(0, Math.max(0, (await count(o.db, 'payment_errors')) - errorsBefore));
  const largest = errorRows.reduce((n, e) => Math.max(n, Buffer.byteLength(JSON.stringify(e))), 0);
  if (largest > 8 * 1024) violations.push(`an error row of ${largest} bytes`);
  const rejections = (await o.db.collection<{ count: number; source: string }>('vk_pay_notify_rejections').where({ source: o.channel }).limit(500).get()).data;
  return {
    channel: o.channel, sent: work.length, signed: work.filter((w) => w.of === 'signed').length, replies, violations, error_rows: errorRows.length, largest_error_row: largest,
    rejections_counted: rejections.reduce((n, x) => n + x.count, 0), elapsed_ms: Math.round(performance.now() - started),
  };
}

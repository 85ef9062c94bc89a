/**
 * The duplicate storm, against a running local host over HTTP: orders are created through vk-pay-co and paid at
 * the host's sandbox gateway (its own deliveries switched off), then every order's genuine notification is
 * delivered `deliveries` times by `senders` concurrent senders in random order, while the sync timer runs over
 * and over and the payers keep querying - all racing to pay the same orders. Used small by
 * test/e2e/notify-storm.test.ts and full (200 x 50 x 50) by bench/notify-faults.bench.ts; the crash test drives
 * it against a host it keeps killing.
 */
import type { SandboxCredentials } from '../../sandbox/credentials';
import type { SandboxOrder } from '../../sandbox/state';
import { buildAlipayNotification } from '../../sandbox/alipay/objects';
import { buildV3Notification } from '../../sandbox/wxpay/v3-objects';
import type { LocalDatabase } from '../../local/db/index';
import { pool, post, postJson, shuffle } from './http';

export type StormChannel = 'wxpay' | 'alipay';

export interface StormOrder { out_trade_no: string; user: string; amount: number; paid: SandboxOrder }

export interface StormTally {
  deliveries: number;
  /** notify replies by status (0 = no answer: the host was down) */
  replies: Record<string, number>;
  timerRuns: number;
  queries: number;
  elapsed_ms: number;
}

const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

/** The order's genuine notification as its gateway sends it (a v3 body is signed afresh at each call). */
export function notificationOf(creds: SandboxCredentials, channel: StormChannel, o: SandboxOrder): { headers: Record<string, string>; body: string } {
  const out = channel === 'wxpay'
    ? buildV3Notification(creds, `storm-${o.out_trade_no}`, o.paid_at ?? Date.now(), o, undefined, undefined, Date.now())
    : buildAlipayNotification(creds, `storm-${o.out_trade_no}`, o, undefined, [], undefined, Date.now());
  return { headers: lower(out.headers), body: out.body };
}

/**
 * uni-id tokens from the host's /__dev/login (sandbox env), one per user and host. A host that is down (the crash
 * drivers kill it) answers nothing: the caller gets '' and tries again next time, as a client would.
 */
const tokens = new Map<string, string>();
export async function devToken(base: string, user: string): Promise<string> {
  const key = `${base} ${user}`;
  const known = tokens.get(key);
  if (known) return known;
  const r = await postJson(`${base}/__dev/login`, { uid: user });
  if (r.status !== 200) return '';
  const token = (JSON.parse(r.body) as { token: string }).token;
  tokens.set(key, token);
  return token;
}

/** Creates `count` orders through the cloud object and pays each at the sandbox with its notifications switched off. */
export async function createPaidOrders(base: string, channel: StormChannel, count: number, prefix = 'storm'): Promise<StormOrder[]> {
  const quiet = await postJson(`${base}/sandbox/control/faults`, { channel, unreachable: true });
  if (quiet.status !== 200) throw new Error(`sandbox faults: ${quiet.status} ${quiet.body}`);
  const orders: StormOrder[] = [];
  // The demo config allows 10 creates per user and minute: spread the orders over enough payers.
  const users = Math.ceil(count / 8);
  await pool(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
    const user = `${prefix}-u${i % users}`;
    const amount = 100 + (i % 97);
    const created = await postJson(`${base}/http/vk-pay-co/createPayment`, { provider: channel, pay_type: channel === 'wxpay' ? 'native' : 'qr', type: 'recharge', amount }, { 'uni-id-token': await devToken(base, user) });
    const no = (JSON.parse(created.body) as { data?: { out_trade_no?: string } }).data?.out_trade_no;
    if (created.status !== 200 || !no) throw new Error(`createPayment: ${created.status} ${created.body.slice(0, 200)}`);
    const paid = await postJson(`${base}/sandbox/control/pay`, { channel, out_trade_no: no, outcome: 'success' });
    if (paid.status !== 200) throw new Error(`sandbox pay: ${paid.status} ${paid.body.slice(0, 200)}`);
    orders.push({ out_trade_no: no, user, amount, paid: (JSON.parse(paid.body) as { order: SandboxOrder }).order });
  });
  return orders;
}

export interface StormOptions {
  base: () => string;
  creds: SandboxCredentials;
  channel: StormChannel;
  orders: StormOrder[];
  deliveries: number;
  senders: number;
  /** run the sync timer over and over while the storm lasts */
  timer?: boolean;
  /** payers query their orders while the storm lasts */
  queries?: boolean;
  /** a delivery that finds the host down is tried again until it answers (a gateway keeps resending) */
  resendWhileDown?: boolean;
  random?: () => number;
}

/** Delivers every order's notification `deliveries` times, shuffled, by `senders` at once, with timer and queries racing. */
export async function runStorm(o: StormOptions): Promise<StormTally> {
  const started = performance.now();
  const tally: StormTally = { deliveries: 0, replies: {}, timerRuns: 0, queries: 0, elapsed_ms: 0 };
  const work = shuffle(o.orders.flatMap((order) => Array.from({ length: o.deliveries }, () => order)), o.random);
  const signed = (order: StormOrder): [string, Record<string, string>] => {
    const n = notificationOf(o.creds, o.channel, order.paid);
    return [n.body, n.headers];
  };
  let storming = true;
  const racers: Array<Promise<void>> = [];
  if (o.timer) {
    racers.push((async () => {
      while (storming) {
        await post(`${o.base()}/__dev/timers/vk-pay-sync`, '');
        tally.timerRuns++;
      }
    })());
  }
  if (o.queries) {
    racers.push((async () => {
      let k = 0;
      while (storming) {
        const order = o.orders[k++ % o.orders.length];
        await postJson(`${o.base()}/http/vk-pay-co/queryPayment`, { out_trade_no: order.out_trade_no }, { 'uni-id-token': await devToken(o.base(), order.user) });
        tally.queries++;
      }
    })());
  }
  await pool(work, o.senders, async (order) => {
    let r = await post(`${o.base()}/http/vk-pay-notify/${o.channel}`, ...signed(order));
    for (let wait = 0; r.status === 0 && o.resendWhileDown && wait < 30_000; wait += 100) {
      await new Promise((res) => setTimeout(res, 100));
      r = await post(`${o.base()}/http/vk-pay-notify/${o.channel}`, ...signed(order));
    }
    tally.deliveries++;
    tally.replies[r.status] = (tally.replies[r.status] ?? 0) + 1;
  });
  storming = false;
  await Promise.all(racers);
  tally.elapsed_ms = Math.round(performance.now() - started);
  return tally;
}

/** What the database holds about the storm's orders, checked against the sandbox: paid once, hook effect once. */
export interface StormDb {
  orders(nos: string[]): Promise<Array<Record<string, any>>>;
  points(): Promise<Array<{ user_id: string; points: number; credited_orders?: string[] }>>;
  unapplied(nos: string[]): Promise<number>;
}

export async function stormProblems(db: StormDb, orders: StormOrder[]): Promise<string[]> {
  const problems: string[] = [];
  const stored = new Map((await db.orders(orders.map((o) => o.out_trade_no))).map((d) => [d.out_trade_no as string, d]));
  const credits = new Map<string, number>();
  const pointsByUser = new Map<string, number>();
  for (const p of await db.points()) {
    pointsByUser.set(p.user_id, p.points);
    for (const no of p.credited_orders ?? []) credits.set(no, (credits.get(no) ?? 0) + 1);
  }
  const expectedPoints = new Map<string, number>();
  for (const o of orders) {
    const d = stored.get(o.out_trade_no);
    const pays = (d?.history ?? []).filter((h: { event: string }) => h.event === 'pay' || h.event === 'pay_after_close').length;
    if (!d || d.status !== 'paid' || pays !== 1 || d.transaction_id !== o.paid.transaction_id) {
      problems.push(`${o.out_trade_no}: ${d?.status ?? 'missing'}, ${pays} pay moves, transaction ${d?.transaction_id ?? 'none'}`);
    }
    if (d && d.hook_status !== 'done') problems.push(`${o.out_trade_no}: hook ${d.hook_status}`);
    if ((credits.get(o.out_trade_no) ?? 0) !== 1) problems.push(`${o.out_trade_no}: credited ${credits.get(o.out_trade_no) ?? 0} times`);
    expectedPoints.set(o.user, (expectedPoints.get(o.user) ?? 0) + o.amount);
  }
  for (const [user, pts] of expectedPoints) if (pointsByUser.get(user) !== pts) problems.push(`${user}: ${pointsByUser.get(user)} points, expected ${pts}`);
  const extra = await db.unapplied(orders.map((o) => o.out_trade_no));
  if (extra > 0) problems.push(`${extra} second-payment / orphan rows for these orders`);
  return problems;
}

/** The StormDb of an embedded database (the host's own, or its directory opened after the host stopped). */
export function stormDbOf(db: LocalDatabase): StormDb {
  const _ = db.command;
  const inChunks = async (name: string, nos: string[]) => {
    const rows: Array<Record<string, any>> = [];
    for (let k = 0; k < nos.length; k += 200) rows.push(...(await db.collection(name).where({ out_trade_no: _.in(nos.slice(k, k + 200)) }).limit(500).get()).data);
    return rows;
  };
  return {
    orders: (nos) => inChunks('payment_orders', nos),
    points: async () => (await db.collection<{ user_id: string; points: number; credited_orders?: string[] }>('vk_pay_points').limit(500).get()).data,
    unapplied: async (nos) => (await inChunks('payment_transactions', nos)).length,
  };
}

/** Makes orders look minutes old, so the sync timer (which leaves fresh orders to their notification) takes them. */
export async function ageOrders(db: LocalDatabase, nos: string[], byMs = 5 * 60_000): Promise<void> {
  const _ = db.command;
  for (let k = 0; k < nos.length; k += 200) {
    await db.collection('payment_orders').where({ out_trade_no: _.in(nos.slice(k, k + 200)) }).update({ create_date: Date.now() - byMs });
  }
}

/**
 * The sync timer sweeping a backlog: N stale pending orders (default 10,000; `VKPAY_BENCH_SYNC_ORDERS` scales it),
 * half of them paid at the sandbox with the notification lost, all past their expiry. Runs of the timer with a
 * time budget are repeated until one finds nothing left (each run resumes where the last stopped). Printed:
 * orders per second, total time, runs needed; then the end state is checked - every order paid at the gateway
 * is paid here exactly once (one pay transition, one transaction, one hook entry), every other order is closed
 * here and at the gateway. Baseline, same run: the same sweep at concurrency 1 over N/20 other orders.
 *
 * The sandbox gateway runs in a child process (this file, started with VKPAY_BENCH_SANDBOX_CHILD=1), as a real
 * gateway would be elsewhere: its signing and the timer's are not timed on one core. The provider rate limit
 * is lifted (`ratePerSecond: 0`): the figure is the sweep's own throughput, not the configured 50 calls/s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { openLocalDatabase } from '../local/db/index';
import { parseConfig } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { createCoreContext } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/core-services';
import { createBaseDao } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/dao';
import { COLLECTIONS } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import type { OrderDoc } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/order';
import type { CoreContext } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/services/context';
import { createSyncTimer, type SyncSettings } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync';
import { runPool } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync/limiter';
import { printRow } from './stats';

const ROOT = path.resolve(__dirname, '..');
const CONCURRENCY = Number(process.env.VKPAY_BENCH_SYNC_CONCURRENCY ?? 32);
/**
 * WeChat Pay v3 (the default channel, RSA-signed both ways) by default; `VKPAY_BENCH_SYNC_CHANNEL=wxpay-v2` runs
 * the same sweep over v2 (HMAC signatures). Measured here the two differ little: the sweep's own work (claims,
 * transitions, records) dominates, not signing.
 */
const CHANNEL = (process.env.VKPAY_BENCH_SYNC_CHANNEL ?? 'wxpay') as 'wxpay' | 'wxpay-v2';

/** Child mode: the sandbox alone, in memory, on a free port; prints `ready <url>`. */
async function sandboxChild(): Promise<void> {
  const { createSandbox } = await import('../sandbox/index');
  const home = process.env.VKPAY_HOME as string;
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const sandbox = await createSandbox({ home, publicBaseUrl: base, persist: false });
  server.on('request', (req, res) => { void sandbox.handle(req, res).then((ok) => { if (!ok) { res.writeHead(404); res.end(); } }); });
  process.on('SIGTERM', () => { void sandbox.close().then(() => process.exit(0)); });
  console.log(`ready ${base}`);
}

async function startSandboxChild(home: string): Promise<{ base: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), __filename], {
    env: { ...process.env, VKPAY_HOME: home, VKPAY_BENCH_SANDBOX_CHILD: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ready (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`sandbox child exited (${code})`)));
  });
  return { base, child };
}

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Orders created at the sandbox through the real provider, stored here as the core stores them. */
async function makeOrders(ctx: CoreContext, prefix: string, n: number): Promise<string[]> {
  const provider = ctx.provider(CHANNEL);
  const now = Date.now();
  const nos = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(7, '0')}`);
  let i = 0;
  const docs: OrderDoc[] = [];
  await runPool(64, async () => (i < nos.length ? nos[i++] : null), async (no) => {
    const created = await provider.createOrder({ out_trade_no: no, amount: 100, subject: 'bench order', pay_type: 'native', notify_url: 'http://127.0.0.1:1/lost', expires_at: now + 3600_000 });
    docs.push({
      out_trade_no: no, user_id: 'bench', type: 'bench', provider: 'wxpay', channel: CHANNEL, pay_type: 'native', amount: 100, subject: 'bench order',
      status: 'pending', create_date: now, update_date: now, expires_at: now + 3600_000, fingerprint: no, dedupe_key: no, payment: created.payment,
      refunded_amount: 0, refund_in_flight: 0, refundable_remaining: 0, refunds_reserved: [], refunds_done: [], history: [],
    });
  });
  for (let k = 0; k < docs.length; k += 500) await ctx.dao.adds({ dbName: COLLECTIONS.orders, dataJson: docs.slice(k, k + 500), cancelAddTime: true });
  return nos;
}

async function payHalf(base: string, nos: string[]): Promise<Set<string>> {
  const paid = new Set(nos.filter((_, i) => i % 2 === 0));
  const list = [...paid];
  let i = 0;
  await runPool(64, async () => (i < list.length ? list[i++] : null), async (no) => {
    const res = await post(`${base}/sandbox/control/pay`, { channel: CHANNEL, out_trade_no: no, outcome: 'success' });
    if (res.status !== 200) throw new Error(`pay ${no}: HTTP ${res.status}`);
    await res.arrayBuffer();
  });
  return paid;
}

/** Makes a set of orders stale (created 10 minutes ago) and expired, so the timer picks them up. */
async function ageOrders(ctx: CoreContext, prefix: string): Promise<void> {
  const now = Date.now();
  const all = await ctx.dao.select<OrderDoc & { _id: string }>({ dbName: COLLECTIONS.orders, whereJson: { user_id: 'bench' }, fieldJson: { out_trade_no: true }, pageSize: -1 });
  const ids = all.rows.filter((o) => o.out_trade_no.startsWith(prefix)).map((o) => o._id);
  for (let k = 0; k < ids.length; k += 500) {
    await ctx.dao.update({ dbName: COLLECTIONS.orders, whereJson: { _id: ctx.db.command.in(ids.slice(k, k + 500)) }, dataJson: { create_date: now - 10 * 60_000, expires_at: now - 60_000 } });
  }
}

async function sweep(ctx: CoreContext, settings: Partial<SyncSettings>, budgetMs: number): Promise<{ ms: number; runs: number; queried: number; repaired: number; closed: number; errors: number }> {
  const timer = createSyncTimer({ ctx }, { ratePerSecond: 0, pageSize: 500, ...settings });
  const started = performance.now();
  const total = { ms: 0, runs: 0, queried: 0, repaired: 0, closed: 0, errors: 0 };
  for (;;) {
    const s = await timer.runSync({ budgetMs });
    total.runs++;
    total.queried += s.queried;
    total.repaired += s.repaired;
    total.closed += s.closed;
    total.errors += s.errors;
    if (!s.budget_exhausted || total.runs > 200) break;
  }
  total.ms = performance.now() - started;
  return total;
}

async function checkEndState(ctx: CoreContext, base: string, prefix: string, nos: string[], paid: Set<string>): Promise<string[]> {
  const problems: string[] = [];
  const orders = (await ctx.dao.select<OrderDoc>({ dbName: COLLECTIONS.orders, whereJson: { user_id: 'bench' }, pageSize: -1 })).rows.filter((o) => o.out_trade_no.startsWith(prefix));
  // Money not an order's own (orphans, second payments) would be a row here: there must be none.
  const unapplied = (await ctx.dao.select<{ out_trade_no: string }>({ dbName: COLLECTIONS.transactions, whereJson: { action: 'pay' }, fieldJson: { out_trade_no: true }, pageSize: -1 })).rows;
  const stray = new Set(unapplied.map((t) => t.out_trade_no));
  if (orders.length !== nos.length) problems.push(`${orders.length} orders stored, ${nos.length} made`);
  for (const o of orders) {
    const pays = o.history.filter((h) => h.event === 'pay' || h.event === 'pay_after_close').length;
    if (paid.has(o.out_trade_no)) {
      // the pay move carries the transaction and the owed hook: one move, one transaction id, one hook
      if (o.status !== 'paid' || pays !== 1 || !o.transaction_id || !o.hook_status || stray.has(o.out_trade_no)) problems.push(`${o.out_trade_no}: ${o.status}, ${pays} pay transitions, transaction ${o.transaction_id ?? 'none'}, hook ${o.hook_status ?? 'none'}`);
    } else if (o.status !== 'closed' || pays !== 0 || o.transaction_id || stray.has(o.out_trade_no)) {
      problems.push(`${o.out_trade_no}: ${o.status} (expected closed)`);
    }
  }
  // The gateway agrees: a sample of the closed ones is closed there too.
  const closedSample = nos.filter((n) => !paid.has(n)).slice(0, 50);
  const provider = ctx.provider(CHANNEL);
  for (const no of closedSample) {
    const q = await provider.queryOrder(no);
    if (q.state !== 'closed') problems.push(`${no}: ${q.state} at the gateway (expected closed)`);
  }
  void base;
  return problems;
}

export default async function run(): Promise<void> {
  const n = Number(process.env.VKPAY_BENCH_SYNC_ORDERS ?? 10_000);
  const baseN = Math.max(20, Math.round(n / 20));
  const budgetMs = Number(process.env.VKPAY_BENCH_SYNC_BUDGET_MS ?? 8_000);
  const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-bench-sync-'));
  const { base, child } = await startSandboxChild(home);
  const db = await openLocalDatabase({ path: path.join(home, 'db'), indexDir: path.join(ROOT, 'uni_modules/vk-pay/uniCloud/database') });
  try {
    const creds = JSON.parse(await readFile(path.join(home, 'sandbox', 'credentials.json'), 'utf8'));
    const config = parseConfig({
      env: 'sandbox', notifyUrl: 'http://127.0.0.1:1/http/vk-pay-notify',
      providers: CHANNEL === 'wxpay'
        ? { wxpay: { ...creds.wxpay, baseUrl: `${base}/sandbox/wxpay/` } }
        : { 'wxpay-v2': { appId: creds.wxpay.appId, mchId: creds.wxpay.mchId, apiV2Key: creds.wxpay.apiV2Key, baseUrl: `${base}/sandbox/wxpay/` } },
      wxpayChannel: CHANNEL,
      orderTypes: { bench: { amount: 'client' } },
    });
    const ctx = createCoreContext({ dao: createBaseDao(db), db, config, hooks: { modules: {} } });
    await post(`${base}/sandbox/control/faults`, { channel: CHANNEL, unreachable: true });

    let t = performance.now();
    const baseNos = await makeOrders(ctx, 'BASE', baseN);
    const mainNos = await makeOrders(ctx, 'MAIN', n);
    const basePaid = await payHalf(base, baseNos);
    const mainPaid = await payHalf(base, mainNos);
    console.log(`setup: ${n + baseN} orders created at the sandbox and stored, half paid with the notification lost (${((performance.now() - t) / 1000).toFixed(1)} s)`);

    await ageOrders(ctx, 'BASE');
    const b = await sweep(ctx, { concurrency: 1 }, budgetMs);
    const baseRate = baseN / (b.ms / 1000);
    await ageOrders(ctx, 'MAIN');
    t = performance.now();
    const m = await sweep(ctx, { concurrency: CONCURRENCY }, budgetMs);
    const rate = n / (m.ms / 1000);

    printRow(`baseline: ${baseN} orders, concurrency 1`, baseRate, 'orders/s');
    printRow(`sweep (${CHANNEL}): ${n} orders, concurrency ${CONCURRENCY}, budget ${budgetMs / 1000} s/run`, rate, 'orders/s', { label: 'baseline', value: baseRate });
    printRow('sweep: total time', m.ms / 1000, 's');
    printRow('sweep: runs needed', m.runs, 'runs');
    console.log(`sweep: ${m.queried} queried, ${m.repaired} repaired, ${m.closed} closed, ${m.errors} errors`);

    const problems = [...await checkEndState(ctx, base, 'BASE', baseNos, basePaid), ...await checkEndState(ctx, base, 'MAIN', mainNos, mainPaid)];
    if (problems.length) throw new Error(`end state wrong for ${problems.length} orders, e.g. ${problems.slice(0, 5).join('; ')}`);
    console.log(`end state: all ${mainPaid.size + basePaid.size} paid orders paid exactly once (one pay move carrying its transaction and hook each); all ${n + baseN - mainPaid.size - basePaid.size} others closed`);
  } finally {
    await db.close();
    child.kill('SIGTERM');
    await rm(home, { recursive: true, force: true });
  }
}

if (process.env.VKPAY_BENCH_SANDBOX_CHILD === '1') void sandboxChild();

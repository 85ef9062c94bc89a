/**
 * `npm run bench notify`: the notify path against the floor of verifying and decrypting alone, in one run.
 *
 *   throughput  N (default 20,000; VKPAY_BENCH_NOTIFY_N) genuine notifications for distinct pending orders, per
 *               channel (WeChat v3, Alipay), signed before the timed phase, POSTed over loopback HTTP by a load
 *               generator in its own process at concurrency 64: to the local host's notify route, and to a bare
 *               server that only verifies and decrypts (bench/notify/bare.ts), in the same run. Target: host at
 *               least 0.5 of the bare rate.
 *   duplicates  the same N delivered again to the host. Target: at least 0.9 of the first-delivery rate.
 *   latency     VKPAY_BENCH_NOTIFY_LATENCY_N (default 2,000) v3 notifications at concurrency 4: p50 and p99 of
 *               the host against the bare server. Target: host p99 within 5x the bare p99.
 *   in-process  the core's full handler (createCoreServices().notify, no HTTP) per notification against the bare
 *               crypto (verify + decrypt) on the same requests; medians.
 *
 * The host runs the demo config as shipped (hooks inline): for the demo's order type `recharge` a first delivery
 * includes its business hook (points credited before the reply); a third throughput run uses an order type
 * without a hook, the notify path alone. The end state is checked (every order paid once, every hook effect once) and the
 * figures are written to bench/results/latest.json (section `notify`).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startHost, type Host } from '../local/host';
import { openLocalDatabase } from '../local/db/index';
import type { SandboxCredentials } from '../sandbox/credentials';
import { parseConfig } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { createCoreServices } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/core-services';
import { createBaseDao } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/dao';
import { createBareVerifier, startBareServer } from './notify/bare';
import { benchOrders, paidNotification, pendingOrderDoc, type BenchChannel, type PaidFacts } from './notify/genuine';
import { startLoadgen, type RunResult } from './notify/loadgen';
import { machine, writeResults } from './notify/results';
import { median, printRow } from './stats';

const ROOT = path.resolve(__dirname, '..');
const INDEX_DIR = path.join(ROOT, 'uni_modules/vk-pay/uniCloud/database');
const HOOKS_DIR = path.join(ROOT, 'uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-hooks');
const N = Number(process.env.VKPAY_BENCH_NOTIFY_N ?? 20_000);
const LATENCY_N = Number(process.env.VKPAY_BENCH_NOTIFY_LATENCY_N ?? 2_000);
const IN_PROCESS_N = Number(process.env.VKPAY_BENCH_NOTIFY_INPROC_N ?? 2_000);
const CONCURRENCY = 64;

async function storeOrders(db: Host['db'], orders: PaidFacts[], users: number, type = 'recharge'): Promise<void> {
  const docs = orders.map((o, i) => pendingOrderDoc({ channel: o.channel, out_trade_no: o.out_trade_no, amount: o.amount, user_id: `bench-u${i % users}`, type }));
  for (let k = 0; k < docs.length; k += 500) await db.collection('payment_orders').add(docs.slice(k, k + 500));
}

/** Every order paid once with one pay transition, and the points ledger credited exactly the paid amounts. */
async function checkPaid(db: Host['db'], orders: PaidFacts[]): Promise<string[]> {
  const problems: string[] = [];
  const _ = db.command;
  for (let k = 0; k < orders.length; k += 500) {
    const slice = orders.slice(k, k + 500);
    const { data } = await db.collection<{ out_trade_no: string; status: string; transaction_id?: string; history: Array<{ event: string }> }>('payment_orders')
      .where({ out_trade_no: _.in(slice.map((o) => o.out_trade_no)) }).limit(500).get();
    const byNo = new Map(data.map((d) => [d.out_trade_no, d]));
    for (const o of slice) {
      const d = byNo.get(o.out_trade_no);
      const pays = d?.history.filter((h) => h.event === 'pay').length ?? 0;
      if (!d || d.status !== 'paid' || pays !== 1 || d.transaction_id !== o.transaction_id) problems.push(`${o.out_trade_no}: ${d?.status ?? 'missing'}, ${pays} pay transitions`);
    }
  }
  return problems;
}

async function pointsTotal(db: Host['db']): Promise<number> {
  const { data } = await db.collection('vk_pay_points').aggregate().group({ _id: null, sum: db.command.aggregate.sum('$points') }).end();
  return Number(data[0]?.sum ?? 0);
}

interface ChannelFigures { bare: RunResult[]; host: RunResult; duplicates: RunResult; ratio: number; duplicate_ratio: number; sign_ms: number }

async function throughput(host: Host, bareUrl: string, credsFile: string, channel: BenchChannel, type = 'recharge'): Promise<ChannelFigures> {
  const orders = benchOrders(channel === 'alipay' ? 'BA' : type === 'recharge' ? 'BW' : 'BG', N, channel);
  await storeOrders(host.db, orders, Math.max(1, Math.round(N / 10)), type);
  const pointsBefore = await pointsTotal(host.db);
  const gen = await startLoadgen({ credsFile, channel, orders });
  try {
    const notifyUrl = `${host.url}/http/vk-pay-notify/${channel}`;
    const bareA = await gen.run(`${bareUrl}/bare/${channel}`, CONCURRENCY, 'bare');
    const first = await gen.run(notifyUrl, CONCURRENCY, 'host');
    const dup = await gen.run(notifyUrl, CONCURRENCY, 'host duplicates');
    const bareB = await gen.run(`${bareUrl}/bare/${channel}`, CONCURRENCY, 'bare (again)');
    const problems = await checkPaid(host.db, orders);
    const credited = (await pointsTotal(host.db)) - pointsBefore;
    const expected = type === 'recharge' ? orders.reduce((s, o) => s + o.amount, 0) : 0;
    if (problems.length) throw new Error(`${channel}: ${problems.length} orders not paid exactly once, e.g. ${problems.slice(0, 3).join('; ')}`);
    if (credited !== expected) throw new Error(`${channel}: hooks credited ${credited} points, expected ${expected}`);
    const bareRate = Math.max(bareA.rate, bareB.rate);
    return { bare: [bareA, bareB], host: first, duplicates: dup, ratio: +(first.rate / bareRate).toFixed(3), duplicate_ratio: +(dup.rate / first.rate).toFixed(3), sign_ms: gen.signMs };
  } finally {
    await gen.close();
  }
}

async function latency(host: Host, bareUrl: string, credsFile: string): Promise<{ bare: RunResult; host: RunResult; p99_ratio: number }> {
  const orders = benchOrders('BL', LATENCY_N, 'wxpay');
  await storeOrders(host.db, orders, Math.max(1, Math.round(LATENCY_N / 10)));
  const gen = await startLoadgen({ credsFile, channel: 'wxpay', orders });
  try {
    const bare = await gen.run(`${bareUrl}/bare/wxpay`, 4, 'bare c4');
    const hostRun = await gen.run(`${host.url}/http/vk-pay-notify/wxpay`, 4, 'host c4');
    return { bare, host: hostRun, p99_ratio: +(hostRun.p99_ms / bare.p99_ms).toFixed(2) };
  } finally {
    await gen.close();
  }
}

/** The core's own handler in this process (no HTTP, no host) against the bare crypto on the same requests. */
async function inProcess(creds: SandboxCredentials, channel: BenchChannel): Promise<{ handler_us: number; bare_us: number; ratio: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vkpay-bench-inproc-'));
  const db = await openLocalDatabase({ path: path.join(dir, 'db'), indexDir: INDEX_DIR });
  try {
    const config = parseConfig({
      env: 'sandbox', notifyUrl: 'http://127.0.0.1:1/http/vk-pay-notify',
      providers: { wxpay: { ...creds.wxpay, baseUrl: 'http://127.0.0.1:1/sandbox/wxpay/' }, alipay: { ...creds.alipay, gatewayUrl: 'http://127.0.0.1:1/sandbox/alipay/gateway.do' } },
      orderTypes: { recharge: { amount: 'client' } },
    });
    const core = createCoreServices({ dao: createBaseDao(db), db, config, hooks: { dir: HOOKS_DIR } });
    const orders = benchOrders('BI', IN_PROCESS_N, channel);
    const docs = orders.map((o, i) => pendingOrderDoc({ channel, out_trade_no: o.out_trade_no, amount: o.amount, user_id: `inproc-u${i % 200}` }));
    for (let k = 0; k < docs.length; k += 500) await db.collection('payment_orders').add(docs.slice(k, k + 500));
    const requests = orders.map((o) => paidNotification(creds, o));
    const bare = createBareVerifier(creds);
    const bareSamples: number[] = [];
    for (const r of requests) {
      const t = performance.now();
      if (!bare.verify(channel, r.headers, r.body)) throw new Error('bare verifier refused a genuine notification');
      bareSamples.push(performance.now() - t);
    }
    const handlerSamples: number[] = [];
    for (const r of requests) {
      const t = performance.now();
      const reply = await core.notify(channel, { headers: r.headers, rawBody: r.body });
      handlerSamples.push(performance.now() - t);
      if (reply.statusCode >= 300) throw new Error(`in-process handler refused a genuine notification: ${reply.body}`);
    }
    const handler = median(handlerSamples) * 1000;
    const bareUs = median(bareSamples) * 1000;
    return { handler_us: Math.round(handler), bare_us: Math.round(bareUs), ratio: +(handler / bareUs).toFixed(2) };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function row(label: string, r: RunResult, base?: RunResult): void {
  printRow(`${label} (${r.accepted}/${r.n} acknowledged)`, r.rate, 'notif/s', base ? { label: 'bare', value: base.rate } : undefined);
}

export default async function run(): Promise<void> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-bench-notify-'));
  const host = await startHost({ port: 0, home, quiet: true, timers: false });
  const credsFile = path.join(home, 'sandbox', 'credentials.json');
  const creds = JSON.parse(await readFile(credsFile, 'utf8')) as SandboxCredentials;
  const bare = await startBareServer(creds);
  const started = Date.now();
  try {
    console.log(`machine: ${JSON.stringify(machine())}`);
    const figures: Record<string, unknown> = { n: N, concurrency: CONCURRENCY };
    // The demo's order type `recharge` runs its business hook inline (points credited before the reply); the
    // last run is the notify path alone, for an order type without a hook.
    for (const [channel, type] of [['wxpay', 'recharge'], ['alipay', 'recharge'], ['wxpay', 'goods']] as const) {
      const f = await throughput(host, bare.url, credsFile, channel, type);
      const bareBest = f.bare[0].rate >= f.bare[1].rate ? f.bare[0] : f.bare[1];
      console.log(`\n${channel}, order type ${type}${type === 'recharge' ? ' (its hook credits points inline)' : ' (no business hook)'}: ${N} genuine notifications signed in ${(f.sign_ms / 1000).toFixed(1)} s before timing; concurrency ${CONCURRENCY}`);
      row('  bare verify+decrypt server', bareBest);
      row('  local host, first deliveries', f.host, bareBest);
      printRow('  local host, per-second median', f.host.median_window_rate, 'notif/s', { label: 'bare', value: bareBest.median_window_rate });
      row('  local host, the same N again (duplicates)', f.duplicates, bareBest);
      console.log(`  host/bare ${f.ratio} (target >= 0.5); duplicates/first ${f.duplicate_ratio} (target >= 0.9); host p50 ${f.host.p50_ms} ms p99 ${f.host.p99_ms} ms`);
      figures[type === 'recharge' ? channel : `${channel}_no_hook`] = {
        bare_rate: bareBest.rate, bare_runs: f.bare.map((b) => b.rate), host_rate: f.host.rate, host_median_window_rate: f.host.median_window_rate,
        ratio: f.ratio, target_ratio: 0.5, duplicate_rate: f.duplicates.rate, duplicate_ratio: f.duplicate_ratio, target_duplicate_ratio: 0.9,
        host_p50_ms: f.host.p50_ms, host_p99_ms: f.host.p99_ms, bare_p50_ms: bareBest.p50_ms, bare_p99_ms: bareBest.p99_ms,
        statuses: { host: f.host.statuses, duplicates: f.duplicates.statuses },
      };
    }
    const lat = await latency(host, bare.url, credsFile);
    console.log(`\nlatency, ${LATENCY_N} v3 notifications at concurrency 4`);
    printRow('  bare p50', lat.bare.p50_ms, 'ms');
    printRow('  bare p99', lat.bare.p99_ms, 'ms');
    printRow('  local host p50', lat.host.p50_ms, 'ms', { label: 'bare', value: lat.bare.p50_ms });
    printRow('  local host p99', lat.host.p99_ms, 'ms', { label: 'bare', value: lat.bare.p99_ms });
    console.log(`  host p99 / bare p99 ${lat.p99_ratio} (target <= 5)`);
    figures.latency = { n: LATENCY_N, concurrency: 4, bare_p50_ms: lat.bare.p50_ms, bare_p99_ms: lat.bare.p99_ms, host_p50_ms: lat.host.p50_ms, host_p99_ms: lat.host.p99_ms, p99_ratio: lat.p99_ratio, target_p99_ratio: 5 };

    console.log(`\nin-process, ${IN_PROCESS_N} notifications one at a time (median per notification)`);
    const inproc: Record<string, unknown> = {};
    for (const channel of ['wxpay', 'alipay'] as const) {
      const p = await inProcess(creds, channel);
      printRow(`  ${channel}: bare crypto (verify + decrypt)`, p.bare_us, 'µs');
      printRow(`  ${channel}: full handler (createCoreServices().notify)`, p.handler_us, 'µs', { label: 'bare crypto', value: p.bare_us });
      inproc[channel] = p;
    }
    figures.in_process = inproc;
    figures.elapsed_s = Math.round((Date.now() - started) / 1000);
    await writeResults('notify', figures);
  } finally {
    await bare.close();
    await host.close();
    await rm(home, { recursive: true, force: true });
  }
}

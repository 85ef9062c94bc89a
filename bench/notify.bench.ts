/**
 * `npm run bench notify`: the notify path against the floor of verifying and decrypting alone, in one run.
 *
 *   throughput  N (default 20,000; VKPAY_BENCH_NOTIFY_N) genuine notifications for distinct pending orders, per
 *               channel (WeChat v3, Alipay), signed before the timed phase, POSTed over loopback HTTP by a load
 *               generator in its own process at concurrency 64: to the local host's notify route, and to a bare
 *               server that only verifies and decrypts (bench/notify/bare.ts), in the same run - in rounds
 *               (VKPAY_BENCH_NOTIFY_ROUNDS, default 5), each slice to the bare server and then to the host, so
 *               that both see the same moment of a shared machine; medians of the per-round ratios. Target:
 *               host at least 0.5 of the bare rate. Two floor servers run in the same rounds (bench/notify/floor.ts):
 *               the same verification, then only the records an exactly-once first delivery must write (the
 *               order's conditional move, its log row, the raw notification), on the local database and straight
 *               on lmdb - what those records alone cost, whatever the core does above them.
 *   duplicates  each slice delivered again to the host. Target: at least 0.9 of the first-delivery rate.
 *   latency     VKPAY_BENCH_NOTIFY_LATENCY_N (default 2,000) v3 notifications at concurrency 4, in rounds: p50
 *               and p99 of the host against the bare server. Target: host p99 within 5x the bare p99.
 *   in-process  the core's full handler (createCoreServices().notify, no HTTP) against the bare crypto (verify +
 *               decrypt) on the same requests: median wall time one at a time (mostly waiting for the database's
 *               flush), and CPU per notification 64 at a time.
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
import { startDatabaseFloor, startLmdbFloor, type FloorServer } from './notify/floor';
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

const ROUNDS = Number(process.env.VKPAY_BENCH_NOTIFY_ROUNDS ?? 5);

/**
 * The machine is shared, and its load drifts within a run; so the baseline is measured next to each slice:
 * every round sends one slice of the N to the bare server, the same slice to the host as first deliveries and
 * then again as duplicates. Each round yields its ratios; the figures are the medians over the rounds.
 */
interface Round { bare: RunResult; floor_db: RunResult; floor_lmdb: RunResult; host: RunResult; duplicates: RunResult }

interface ChannelFigures {
  rounds: Round[]; ratio: number; duplicate_ratio: number; sign_ms: number; bare_rate: number; host_rate: number; duplicate_rate: number;
  floor_db_rate: number; floor_lmdb_rate: number; floor_db_ratio: number; floor_lmdb_ratio: number; host_of_floor: number;
}

/** The floor servers (notify/floor.ts), beside the bare server: what the records alone cost. */
interface Floors { db: FloorServer; lmdb: FloorServer }

const med = (xs: number[]) => +median(xs).toFixed(3);

async function throughput(host: Host, bareUrl: string, floors: Floors, credsFile: string, channel: BenchChannel, type = 'recharge'): Promise<ChannelFigures> {
  const orders = benchOrders(channel === 'alipay' ? 'BA' : type === 'recharge' ? 'BW' : 'BG', N, channel);
  await storeOrders(host.db, orders, Math.max(1, Math.round(N / 10)), type);
  const floorDocs = orders.map((o, i) => pendingOrderDoc({ channel: o.channel, out_trade_no: o.out_trade_no, amount: o.amount, user_id: `bench-u${i % Math.max(1, Math.round(N / 10))}`, type }));
  await floors.db.addOrders(floorDocs);
  await floors.lmdb.addOrders(floorDocs);
  const pointsBefore = await pointsTotal(host.db);
  const gen = await startLoadgen({ credsFile, channel, orders });
  try {
    const notifyUrl = `${host.url}/http/vk-pay-notify/${channel}`;
    const slice = Math.ceil(N / ROUNDS);
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const bare = await gen.run(`${bareUrl}/bare/${channel}`, CONCURRENCY, `bare ${r}`, slice, r * slice);
      const floorDb = await gen.run(`${floors.db.url}/floor/${channel}`, CONCURRENCY, `floor db ${r}`, slice, r * slice);
      const floorLmdb = await gen.run(`${floors.lmdb.url}/floor/${channel}`, CONCURRENCY, `floor lmdb ${r}`, slice, r * slice);
      const first = await gen.run(notifyUrl, CONCURRENCY, `host ${r}`, slice, r * slice);
      const duplicates = await gen.run(notifyUrl, CONCURRENCY, `host duplicates ${r}`, slice, r * slice);
      rounds.push({ bare, floor_db: floorDb, floor_lmdb: floorLmdb, host: first, duplicates });
    }
    const problems = await checkPaid(host.db, orders);
    const credited = (await pointsTotal(host.db)) - pointsBefore;
    const expected = type === 'recharge' ? orders.reduce((s, o) => s + o.amount, 0) : 0;
    if (problems.length) throw new Error(`${channel}: ${problems.length} orders not paid exactly once, e.g. ${problems.slice(0, 3).join('; ')}`);
    if (credited !== expected) throw new Error(`${channel}: hooks credited ${credited} points, expected ${expected}`);
    if (rounds.some((x) => x.host.accepted !== x.host.n || x.duplicates.accepted !== x.duplicates.n)) throw new Error(`${channel}: a genuine notification was not acknowledged`);
    if (rounds.some((x) => x.floor_db.accepted !== x.floor_db.n || x.floor_lmdb.accepted !== x.floor_lmdb.n)) throw new Error(`${channel}: a floor server did not store every notification`);
    return {
      rounds, sign_ms: gen.signMs,
      ratio: med(rounds.map((x) => x.host.rate / x.bare.rate)), duplicate_ratio: med(rounds.map((x) => x.duplicates.rate / x.host.rate)),
      bare_rate: med(rounds.map((x) => x.bare.rate)), host_rate: med(rounds.map((x) => x.host.rate)), duplicate_rate: med(rounds.map((x) => x.duplicates.rate)),
      floor_db_rate: med(rounds.map((x) => x.floor_db.rate)), floor_lmdb_rate: med(rounds.map((x) => x.floor_lmdb.rate)),
      floor_db_ratio: med(rounds.map((x) => x.floor_db.rate / x.bare.rate)), floor_lmdb_ratio: med(rounds.map((x) => x.floor_lmdb.rate / x.bare.rate)),
      host_of_floor: med(rounds.map((x) => x.host.rate / x.floor_db.rate)),
    };
  } finally {
    await gen.close();
  }
}

interface LatencyFigures { rounds: Array<{ bare: RunResult; host: RunResult }>; bare_p50: number; bare_p99: number; host_p50: number; host_p99: number; p99_ratio: number }

async function latency(host: Host, bareUrl: string, credsFile: string): Promise<LatencyFigures> {
  const orders = benchOrders('BL', LATENCY_N, 'wxpay');
  await storeOrders(host.db, orders, Math.max(1, Math.round(LATENCY_N / 10)));
  const gen = await startLoadgen({ credsFile, channel: 'wxpay', orders });
  try {
    const slice = Math.ceil(LATENCY_N / ROUNDS);
    const rounds: LatencyFigures['rounds'] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const bare = await gen.run(`${bareUrl}/bare/wxpay`, 4, `bare c4 ${r}`, slice, r * slice);
      rounds.push({ bare, host: await gen.run(`${host.url}/http/vk-pay-notify/wxpay`, 4, `host c4 ${r}`, slice, r * slice) });
    }
    return {
      rounds, bare_p50: med(rounds.map((x) => x.bare.p50_ms)), bare_p99: med(rounds.map((x) => x.bare.p99_ms)),
      host_p50: med(rounds.map((x) => x.host.p50_ms)), host_p99: med(rounds.map((x) => x.host.p99_ms)),
      p99_ratio: +median(rounds.map((x) => x.host.p99_ms / x.bare.p99_ms)).toFixed(2),
    };
  } finally {
    await gen.close();
  }
}

/** The core's own handler in this process (no HTTP, no host) against the bare crypto on the same requests. */
async function inProcess(creds: SandboxCredentials, channel: BenchChannel): Promise<{ handler_us: number; bare_us: number; ratio: number; handler_cpu_us: number; cpu_ratio: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vkpay-bench-inproc-'));
  const db = await openLocalDatabase({ path: path.join(dir, 'db'), indexDir: INDEX_DIR });
  try {
    const config = parseConfig({
      env: 'sandbox', notifyUrl: 'http://127.0.0.1:1/http/vk-pay-notify',
      providers: { wxpay: { ...creds.wxpay, baseUrl: 'http://127.0.0.1:1/sandbox/wxpay/' }, alipay: { ...creds.alipay, gatewayUrl: 'http://127.0.0.1:1/sandbox/alipay/gateway.do' } },
      orderTypes: { recharge: { amount: 'client' } },
    });
    const core = createCoreServices({ dao: createBaseDao(db), db, config, hooks: { dir: HOOKS_DIR } });
    const orders = benchOrders('BI', IN_PROCESS_N * 2, channel);
    const docs = orders.map((o, i) => pendingOrderDoc({ channel, out_trade_no: o.out_trade_no, amount: o.amount, user_id: `inproc-u${i % 200}` }));
    for (let k = 0; k < docs.length; k += 500) await db.collection('payment_orders').add(docs.slice(k, k + 500));
    const all = orders.map((o) => paidNotification(creds, o));
    const requests = all.slice(0, IN_PROCESS_N);
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
    // CPU per notification when they come 64 at a time (this process's user + system time, the database's
    // writer thread included): what a first delivery costs, apart from waiting for disk flushes.
    const rest = all.slice(IN_PROCESS_N);
    const cpu0 = process.cpuUsage();
    let next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < rest.length) {
        const r = rest[next++];
        if ((await core.notify(channel, { headers: r.headers, rawBody: r.body })).statusCode >= 300) throw new Error('in-process handler refused a genuine notification');
      }
    }));
    const cpu = process.cpuUsage(cpu0);
    const handlerCpu = (cpu.user + cpu.system) / rest.length;
    const handler = median(handlerSamples) * 1000;
    const bareUs = median(bareSamples) * 1000;
    return { handler_us: Math.round(handler), bare_us: Math.round(bareUs), ratio: +(handler / bareUs).toFixed(2), handler_cpu_us: Math.round(handlerCpu), cpu_ratio: +(handlerCpu / bareUs).toFixed(2) };
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<void> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-bench-notify-'));
  const host = await startHost({ port: 0, home, quiet: true, timers: false });
  const credsFile = path.join(home, 'sandbox', 'credentials.json');
  const creds = JSON.parse(await readFile(credsFile, 'utf8')) as SandboxCredentials;
  const bare = await startBareServer(creds);
  const floors: Floors = { db: await startDatabaseFloor(creds, path.join(home, 'floor-db')), lmdb: await startLmdbFloor(creds, path.join(home, 'floor-lmdb')) };
  const started = Date.now();
  try {
    console.log(`machine: ${JSON.stringify(machine())}`);
    const figures: Record<string, unknown> = { n: N, concurrency: CONCURRENCY };
    // The demo's order type `recharge` runs its business hook inline (points credited before the reply); the
    // last run is the notify path alone, for an order type without a hook.
    // VKPAY_BENCH_NOTIFY_N=0 leaves the throughput rows out (latency and in-process figures only).
    for (const [channel, type] of N > 0 ? [['wxpay', 'recharge'], ['alipay', 'recharge'], ['wxpay', 'goods']] as const : []) {
      const f = await throughput(host, bare.url, floors, credsFile, channel, type);
      console.log(`\n${channel}, order type ${type}${type === 'recharge' ? ' (its hook credits points inline)' : ' (no business hook)'}: ${N} genuine notifications signed in ${(f.sign_ms / 1000).toFixed(1)} s before timing; concurrency ${CONCURRENCY}; ${ROUNDS} rounds of ${Math.ceil(N / ROUNDS)}, medians`);
      printRow('  bare verify+decrypt server', f.bare_rate, 'notif/s');
      printRow('  floor: the records alone, local database', f.floor_db_rate, 'notif/s', { label: 'bare', value: f.bare_rate });
      printRow('  floor: the records alone, lmdb directly', f.floor_lmdb_rate, 'notif/s', { label: 'bare', value: f.bare_rate });
      printRow('  local host, first deliveries', f.host_rate, 'notif/s', { label: 'bare', value: f.bare_rate });
      printRow('  local host, the same again (duplicates)', f.duplicate_rate, 'notif/s', { label: 'bare', value: f.bare_rate });
      console.log(`  per round host/bare ${f.rounds.map((x) => (x.host.rate / x.bare.rate).toFixed(2)).join(' ')}: median ${f.ratio} (target >= 0.5); duplicates/first median ${f.duplicate_ratio} (target >= 0.9)`);
      console.log(`  per round floor/bare, database ${f.rounds.map((x) => (x.floor_db.rate / x.bare.rate).toFixed(2)).join(' ')}: median ${f.floor_db_ratio}; lmdb ${f.rounds.map((x) => (x.floor_lmdb.rate / x.bare.rate).toFixed(2)).join(' ')}: median ${f.floor_lmdb_ratio}; host/database floor median ${f.host_of_floor}`);
      figures[type === 'recharge' ? channel : `${channel}_no_hook`] = {
        bare_rate: f.bare_rate, host_rate: f.host_rate, duplicate_rate: f.duplicate_rate, ratio: f.ratio, target_ratio: 0.5, duplicate_ratio: f.duplicate_ratio, target_duplicate_ratio: 0.9,
        floor_db_rate: f.floor_db_rate, floor_db_ratio: f.floor_db_ratio, floor_lmdb_rate: f.floor_lmdb_rate, floor_lmdb_ratio: f.floor_lmdb_ratio, host_of_floor: f.host_of_floor,
        rounds: f.rounds.map((x) => ({ bare: x.bare.rate, floor_db: x.floor_db.rate, floor_lmdb: x.floor_lmdb.rate, host: x.host.rate, duplicates: x.duplicates.rate, host_p50_ms: x.host.p50_ms, host_p99_ms: x.host.p99_ms })),
      };
    }
    const lat = await latency(host, bare.url, credsFile);
    console.log(`\nlatency, ${LATENCY_N} v3 notifications at concurrency 4, ${ROUNDS} rounds, medians`);
    printRow('  bare p50', lat.bare_p50, 'ms');
    printRow('  bare p99', lat.bare_p99, 'ms');
    printRow('  local host p50', lat.host_p50, 'ms', { label: 'bare', value: lat.bare_p50 });
    printRow('  local host p99', lat.host_p99, 'ms', { label: 'bare', value: lat.bare_p99 });
    console.log(`  per round host p99 / bare p99 ${lat.rounds.map((x) => (x.host.p99_ms / x.bare.p99_ms).toFixed(2)).join(' ')}: median ${lat.p99_ratio} (target <= 5)`);
    figures.latency = { n: LATENCY_N, concurrency: 4, bare_p50_ms: lat.bare_p50, bare_p99_ms: lat.bare_p99, host_p50_ms: lat.host_p50, host_p99_ms: lat.host_p99, p99_ratio: lat.p99_ratio, target_p99_ratio: 5 };

    console.log(`\nin-process, no HTTP: ${IN_PROCESS_N} notifications one at a time (median wall time), then ${IN_PROCESS_N} more 64 at a time (CPU per notification)`);
    const inproc: Record<string, unknown> = {};
    for (const channel of ['wxpay', 'alipay'] as const) {
      const p = await inProcess(creds, channel);
      printRow(`  ${channel}: bare crypto (verify + decrypt)`, p.bare_us, 'µs');
      printRow(`  ${channel}: full handler, one at a time (wall)`, p.handler_us, 'µs', { label: 'bare crypto', value: p.bare_us });
      printRow(`  ${channel}: full handler, 64 at a time (CPU)`, p.handler_cpu_us, 'µs', { label: 'bare crypto', value: p.bare_us });
      inproc[channel] = p;
    }
    figures.in_process = inproc;
    figures.elapsed_s = Math.round((Date.now() - started) / 1000);
    await writeResults('notify', figures);
  } finally {
    await bare.close();
    await floors.db.close();
    await floors.lmdb.close();
    await host.close();
    await rm(home, { recursive: true, force: true });
  }
}

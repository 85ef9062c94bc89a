/**
 * Crash recovery: the local host runs as its own process (`local/main.ts`, as `npm start` runs it) and is killed
 * with SIGKILL at random moments while a duplicate storm, the sync timer and payers' queries hit it; each time it
 * is started again on the same data (the database must open), and the storm carries on against it. After the
 * last restart the provider delivers once more (a notification not acknowledged is resent) and the timer runs
 * until every hook is done. Then every order the sandbox considers paid must be paid exactly once, with exactly
 * one hook effect; a hook the kill interrupted must have run again within a short lease, not a long one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { openLocalDatabase, type LocalDatabase } from '../../local/db/index';
import type { SandboxCredentials } from '../../sandbox/credentials';
import { pool, post } from './http';
import { secretLeaks, secretsOf } from './secrets';
import { ageOrders, createPaidOrders, notificationOf, runStorm, stormDbOf, stormProblems, type StormChannel, type StormOrder, type StormTally } from './storm';

const ROOT = path.resolve(__dirname, '../..');
const INDEX_DIR = path.join(ROOT, 'uni_modules/vk-pay/uniCloud/database');

export interface CrashReport {
  kills: number;
  /** how long each restart took until the host answered (the database opened every time) */
  restart_ms: number[];
  storm: StormTally;
  /** from the last restart until every order was paid with its hook done */
  recovery_ms: number;
  /** hooks that ran more than once (one run was interrupted by a kill): their effect still happened once */
  hooks_rerun: number;
  problems: string[];
  leaks: string[];
}

interface HostProcess { proc: ChildProcess; url: string }

/** Starts `local/main.ts` on `home` and resolves once it prints that it is ready. */
async function startHostProcess(home: string, log: string[]): Promise<HostProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local/main.ts')], {
    cwd: ROOT, env: { ...process.env, VKPAY_HOME: home, PORT: '0', VKPAY_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      const text = c.toString();
      log.push(text);
      out += text;
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
    proc.once('exit', (code, signal) => reject(new Error(`host exited before it was ready (${code ?? signal}): ${out.slice(-500)}`)));
  });
  return { proc, url };
}

function kill(h: HostProcess, signal: NodeJS.Signals): Promise<void> {
  if (h.proc.exitCode !== null || h.proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { h.proc.once('exit', () => resolve()); h.proc.kill(signal); });
}

/** Opens the host's database from this process (lmdb allows several processes), runs `f`, closes it. */
async function withDb<T>(home: string, f: (db: LocalDatabase) => Promise<T>): Promise<T> {
  const db = await openLocalDatabase({ path: path.join(home, 'db'), indexDir: INDEX_DIR });
  try {
    return await f(db);
  } finally {
    await db.close();
  }
}

export async function runCrashRecovery(o: {
  home: string; channel: StormChannel; orders: number; deliveries: number; senders: number; kills: number; random?: () => number;
  /** the longest the recovery after the last restart may take (default: three hook leases) */
  recoveryLimitMs?: number;
}): Promise<CrashReport> {
  const random = o.random ?? Math.random;
  const log: string[] = [];
  let host = await startHostProcess(o.home, log);
  const creds = JSON.parse(await readFile(path.join(o.home, 'sandbox', 'credentials.json'), 'utf8')) as SandboxCredentials;
  const adminToken = (await readFile(path.join(o.home, 'admin-token'), 'utf8')).trim();
  let orders: StormOrder[] = [];
  const restartMs: number[] = [];
  const tally: StormTally = { deliveries: 0, replies: {}, timerRuns: 0, queries: 0, elapsed_ms: 0 };
  const add = (t: StormTally) => {
    tally.deliveries += t.deliveries; tally.timerRuns += t.timerRuns; tally.queries += t.queries; tally.elapsed_ms += t.elapsed_ms;
    for (const [k, v] of Object.entries(t.replies)) tally.replies[k] = (tally.replies[k] ?? 0) + v;
  };
  try {
    orders = await createPaidOrders(host.url, o.channel, o.orders, 'crash');
    // An admin call, so that the token has travelled through the host (and must appear nowhere).
    await post(`${host.url}/http/vk-pay-co/getStats`, '{}', { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` });
    // One group of orders per kill: each storm starts with first deliveries (pay moves, hooks running inline),
    // and the kill lands a random moment into it - often in the middle of a payment or a hook.
    const group = Math.ceil(orders.length / o.kills);
    const storms: Array<Promise<void>> = [];
    for (let k = 0; k < o.kills; k++) {
      const mine = orders.slice(k * group, (k + 1) * group);
      storms.push(runStorm({ base: () => host.url, creds, channel: o.channel, orders: mine.length ? mine : orders, deliveries: o.deliveries, senders: o.senders, timer: true, queries: true, resendWhileDown: true, random }).then(add));
      await new Promise((r) => setTimeout(r, 20 + random() * 400));
      await kill(host, 'SIGKILL');
      // While it is down: make the orders old enough for the timer to query them too (first time only).
      if (k === 0) await withDb(o.home, (db) => ageOrders(db, orders.map((x) => x.out_trade_no)));
      const t = performance.now();
      host = await startHostProcess(o.home, log);
      restartMs.push(Math.round(performance.now() - t));
    }
    await Promise.all(storms);
    // The provider resends whatever was not acknowledged; every order gets at least one more delivery.
    const recoveryStart = performance.now();
    await pool(orders, o.senders, async (order) => {
      const n = notificationOf(creds, o.channel, order.paid);
      await post(`${host.url}/http/vk-pay-notify/${o.channel}`, n.body, n.headers);
    });
    const limit = o.recoveryLimitMs ?? 15_000;
    let problems: string[] = [];
    for (;;) {
      await post(`${host.url}/__dev/timers/vk-pay-sync`, '');
      problems = await withDb(o.home, (db) => stormProblems(stormDbOf(db), orders));
      if (problems.length === 0 || performance.now() - recoveryStart > limit) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const recovery = Math.round(performance.now() - recoveryStart);
    if (problems.length && process.env.VKPAY_CRASH_DEBUG) {
      const bad = problems.map((p) => p.split(':')[0]);
      await withDb(o.home, async (db) => console.error(JSON.stringify((await stormDbOf(db).orders(bad)).map((d) => ({ no: d.out_trade_no, status: d.status, hook: [d.hook_status, d.hook_attempts, d.hook_error, d.hook_next_at && d.hook_next_at - Date.now()], history: d.history })), null, 1)));
    }
    await kill(host, 'SIGTERM');
    return await withDb(o.home, async (db) => {
      const stored = await stormDbOf(db).orders(orders.map((x) => x.out_trade_no));
      return {
        kills: o.kills, restart_ms: restartMs, storm: tally, recovery_ms: recovery,
        hooks_rerun: stored.filter((d) => (d.hook_attempts ?? 0) > 1).length,
        problems: await stormProblems(stormDbOf(db), orders),
        leaks: await secretLeaks(db, log.join(''), secretsOf(creds, adminToken)),
      };
    });
  } finally {
    await kill(host, 'SIGKILL');
  }
}

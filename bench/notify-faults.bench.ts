/**
 * `npm run bench notify-faults` (also run by `npm run bench notify`): the full forms of the fault proofs whose
 * small forms are in test/e2e. Each fails the benchmark run when its invariant breaks.
 *
 *   storm    200 paid orders, each notification delivered 50 times by 50 concurrent senders, the sync timer and
 *            the payers' queries racing them (WeChat v3 and Alipay): paid once, one transaction, one hook effect
 *   fuzz     at least 10,000 mutated notifications per channel (v3, v2, Alipay) against the notify route of a
 *            running host: no crash, no state change, nothing acknowledged that is not genuinely signed, signed
 *            out-of-bounds ones acknowledged for good, junk counted and sampled (bounded rows)
 *   crash    the host as its own process SIGKILLed at random moments 12 times during storms: restarts every time,
 *            each order paid once with one hook effect, interrupted hooks rerun within a short lease
 *   secrets  after all of it, no private key, API key, APIv3 key or admin token in any stored document or log line
 *
 * Sizes: VKPAY_BENCH_STORM_ORDERS / _DELIVERIES / _SENDERS, VKPAY_BENCH_FUZZ_PER_CHANNEL, VKPAY_BENCH_CRASH_KILLS.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startHost } from '../local/host';
import type { SandboxCredentials } from '../sandbox/credentials';
import { runCrashRecovery } from './notify/crash';
import { rng } from './notify/fuzz';
import { runFuzz } from './notify/fuzz-run';
import { writeResults } from './notify/results';
import { secretLeaks, secretsOf } from './notify/secrets';
import { ageOrders, createPaidOrders, runStorm, stormDbOf, stormProblems } from './notify/storm';
import { printRow } from './stats';

const STORM = { orders: Number(process.env.VKPAY_BENCH_STORM_ORDERS ?? 200), deliveries: Number(process.env.VKPAY_BENCH_STORM_DELIVERIES ?? 50), senders: Number(process.env.VKPAY_BENCH_STORM_SENDERS ?? 50) };
const FUZZ_PER_CHANNEL = Number(process.env.VKPAY_BENCH_FUZZ_PER_CHANNEL ?? 10_000);
const KILLS = Number(process.env.VKPAY_BENCH_CRASH_KILLS ?? 12);

export default async function run(): Promise<void> {
  const figures: Record<string, unknown> = {};
  const failures: string[] = [];
  const logged: string[] = [];
  const original = { log: console.log, error: console.error, warn: console.warn };
  // What the host and the core print goes to the secrets check as well as to the terminal.
  for (const m of ['log', 'error', 'warn'] as const) {
    console[m] = (...args: unknown[]) => { logged.push(args.map(String).join(' ')); original[m](...args); };
  }
  const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-bench-faults-'));
  const host = await startHost({ port: 0, home, quiet: false, timers: false });
  try {
    const creds = JSON.parse(await readFile(path.join(home, 'sandbox', 'credentials.json'), 'utf8')) as SandboxCredentials;

    console.log(`\nstorm: ${STORM.orders} orders x ${STORM.deliveries} deliveries, ${STORM.senders} concurrent senders, timer and queries racing`);
    const storm: Record<string, unknown> = {};
    for (const channel of ['wxpay', 'alipay'] as const) {
      const orders = await createPaidOrders(host.url, channel, STORM.orders, `bs${channel}`);
      await ageOrders(host.db, orders.map((o) => o.out_trade_no));
      const tally = await runStorm({ base: () => host.url, creds, channel, orders, deliveries: STORM.deliveries, senders: STORM.senders, timer: true, queries: true, random: rng(channel.length) });
      const problems = await stormProblems(stormDbOf(host.db), orders);
      printRow(`  ${channel}: deliveries acknowledged (${tally.replies[200] ?? 0}/${tally.deliveries})`, (tally.deliveries / tally.elapsed_ms) * 1000, 'deliveries/s');
      console.log(`  ${channel}: ${tally.timerRuns} timer runs and ${tally.queries} queries raced; ${problems.length ? `PROBLEMS: ${problems.slice(0, 5).join('; ')}` : 'every order paid once, one transaction, one hook effect'}`);
      if (problems.length || (tally.replies[200] ?? 0) !== tally.deliveries) failures.push(`storm ${channel}: ${problems.length} problems, replies ${JSON.stringify(tally.replies)}`);
      storm[channel] = { ...tally, problems: problems.length };
    }
    figures.storm = { ...STORM, ...storm };

    console.log(`\nfuzz: at least ${FUZZ_PER_CHANNEL} mutants per channel against ${host.url}/http/vk-pay-notify/<channel>`);
    const fuzz: Record<string, unknown> = {};
    for (const channel of ['wxpay', 'wxpay-v2', 'alipay'] as const) {
      const orders = 20;
      const report = await runFuzz({ base: host.url, db: host.db, creds, channel, orders, perOrder: Math.ceil((FUZZ_PER_CHANNEL * 1.3) / orders), seed: 1000 + channel.length, senders: 32 });
      console.log(`  ${channel}: ${report.sent} sent in ${(report.elapsed_ms / 1000).toFixed(1)} s; ${report.rejections_counted} counted as unverified, ${report.error_rows} error rows (largest ${report.largest_error_row} B); violations: ${report.violations.length}`);
      for (const [kind, replies] of Object.entries(report.replies).sort()) console.log(`    ${kind.padEnd(44)} ${Object.entries(replies).map(([c, n]) => `${c}: ${n}`).join(', ')}`);
      if (report.violations.length || report.sent < FUZZ_PER_CHANNEL) failures.push(`fuzz ${channel}: ${report.sent} sent, violations ${report.violations.slice(0, 5).join('; ')}`);
      fuzz[channel] = report;
    }
    figures.fuzz = fuzz;

    const leaks = await secretLeaks(host.db, logged.join('\n'), secretsOf(creds, host.adminToken));
    figures.secrets_in_process = { leaks };
    if (leaks.length) failures.push(`secrets: ${leaks.join(', ')}`);
  } finally {
    await host.close();
    await rm(home, { recursive: true, force: true });
    Object.assign(console, original);
  }

  console.log(`\ncrash recovery: ${KILLS} SIGKILLs of the host process during storms (100 orders x 20 deliveries, 50 senders)`);
  const crashHome = await mkdtemp(path.join(os.tmpdir(), 'vkpay-bench-crash-'));
  try {
    const report = await runCrashRecovery({ home: crashHome, channel: 'wxpay', orders: 100, deliveries: 20, senders: 50, kills: KILLS, random: rng(42) });
    const sorted = [...report.restart_ms].sort((a, b) => a - b);
    printRow('  restart until the host answers (median)', sorted[sorted.length >> 1], 'ms');
    printRow('  recovery after the last restart', report.recovery_ms, 'ms');
    console.log(`  ${report.kills} kills, database opened ${report.restart_ms.length} times; ${report.hooks_rerun} hooks interrupted and run again; storm ${JSON.stringify(report.storm.replies)}`);
    console.log(`  ${report.problems.length ? `PROBLEMS: ${report.problems.slice(0, 5).join('; ')}` : 'every order paid exactly once with exactly one hook effect'}; secrets found: ${report.leaks.length ? report.leaks.join(', ') : 'none'}`);
    if (report.problems.length || report.leaks.length || report.restart_ms.length !== KILLS) failures.push(`crash: ${report.problems.length} problems, ${report.leaks.length} leaks`);
    figures.crash = report;
  } finally {
    await rm(crashHome, { recursive: true, force: true });
  }
  figures.failures = failures;
  await writeResults('notify-faults', figures);
  if (failures.length) throw new Error(`fault proofs failed: ${failures.join(' | ')}`);
}

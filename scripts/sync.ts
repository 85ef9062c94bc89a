/**
 * `npm run sync [-- --all] [-- --budget <ms>]`: one run of the `vk-pay-sync` timer against the local host's data
 * (`${VKPAY_HOME:-.vkpay}/db`) and its sandbox, with a progress bar; prints the run's JSON summary.
 *
 *   --all          check every pending order now, ignoring the timer's 2-minute grace (e.g. right after a demo
 *                  payment whose notification was lost)
 *   --budget <ms>  how long the run may take (default: the config's, 50 s)
 *   --help         this text
 *
 * Which process does the work - the flags mean the same either way:
 *  - a host already listening on `${PORT:-8787}` owns the database (the embedded store enforces unique indexes in
 *    its own process, so a second writer must not open it): the timer run is asked of that host through
 *    `POST /__dev/timers/vk-pay-sync` (sandbox mode only), and `--all` then sweeps every pending order through the
 *    admin method `syncRange` (with the admin token from `${VKPAY_HOME}/admin-token`), slice by slice with a
 *    progress bar, until done or the budget is spent;
 *  - otherwise the host is started here, in-process, on a free port (its sandbox included), the timer runs with
 *    no grace under `--all` and a per-order progress bar, and the host is stopped again.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { startHost } from '../local/host';
import { REPO_ROOT, findCommonModule } from '../local/paths';
import { parseConfig } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { createCoreContext } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/core-services';
import { createBaseDao } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/dao';
import { COLLECTIONS } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import { createSyncTimerForCore, type SyncProgress } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync';

const USAGE = 'usage: npm run sync -- [--all] [--budget <ms>]';

export interface SyncFlags { all: boolean; budgetMs?: number; help: boolean }

/** The documented flags; anything else is refused with the usage line rather than silently ignored. */
export function parseFlags(argv: readonly string[]): SyncFlags {
  const flags: SyncFlags = { all: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--all') flags.all = true;
    else if (a === '--help' || a === '-h') flags.help = true;
    else if (a === '--budget' || a.startsWith('--budget=')) {
      const raw = a.includes('=') ? a.slice('--budget='.length) : argv[++i];
      const ms = Number(raw);
      if (raw === undefined || !/^\d+$/.test(raw) || !Number.isSafeInteger(ms) || ms < 1000) throw new Error(`--budget needs a whole number of milliseconds, at least 1000 (got ${raw ?? 'nothing'})\n${USAGE}`);
      flags.budgetMs = ms;
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return flags;
}

async function hostListening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1500) });
    return true;
  } catch {
    return false;
  }
}

interface Envelope<T> { code?: number; errCode?: number; msg?: string; data?: T }

async function adminCall<T>(base: string, token: string, method: string, params: object): Promise<T> {
  const res = await fetch(`${base}/http/vk-pay-co/${method}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(params),
  });
  const body = (await res.json()) as Envelope<T>;
  if ((body.errCode ?? body.code) !== 0) throw new Error(`${method} refused: ${body.code} ${body.msg ?? ''}`);
  return body.data as T;
}

interface SyncRangeAnswer { done: boolean; total: number; processed: number; next_cursor: string | null; outcomes: Record<string, number>; errors: unknown[] }

async function viaRunningHost(port: number, home: string, flags: SyncFlags): Promise<unknown> {
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const res = await fetch(`${base}/__dev/timers/vk-pay-sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = (await res.json()) as Envelope<unknown>;
  if (!res.ok) throw new Error(`the host refused the timer run: HTTP ${res.status} ${JSON.stringify(body)}`);
  const timer = body.data ?? body;
  if (!flags.all) return timer;

  const tokenFile = path.join(home, 'admin-token');
  if (!fs.existsSync(tokenFile)) throw new Error(`--all with a running host needs its admin token, not found at ${tokenFile} (is VKPAY_HOME the host's?)`);
  const token = fs.readFileSync(tokenFile, 'utf8').trim();
  const bar = new SingleBar({ format: `vk-pay-sync --all (host on :${port}) [{bar}] {value}/{total} pending orders`, hideCursor: true }, Presets.shades_classic);
  const outcomes: Record<string, number> = {};
  const errors: unknown[] = [];
  let cursor: string | null = null;
  let answer: SyncRangeAnswer | undefined;
  bar.start(1, 0);
  do {
    answer = await adminCall<SyncRangeAnswer>(base, token, 'syncRange', { from: 0, to: started, limit: 50, ...(cursor ? { cursor } : {}) });
    for (const [k, n] of Object.entries(answer.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
    errors.push(...answer.errors);
    bar.setTotal(Math.max(1, answer.total));
    bar.update(answer.processed);
    cursor = answer.next_cursor;
  } while (!answer.done && cursor && (flags.budgetMs === undefined || Date.now() - started < flags.budgetMs));
  bar.stop();
  return { timer, all: { done: answer.done, total: answer.total, processed: answer.processed, outcomes, errors } };
}

async function inProcess(home: string, flags: SyncFlags): Promise<unknown> {
  const host = await startHost({ port: 0, home, quiet: true, timers: false });
  try {
    // The config module reads VKPAY_HOME / VKPAY_PUBLIC_URL, which startHost has just set.
    const configCenter = findCommonModule('uni-config-center');
    const hooksDir = findCommonModule('vk-pay-hooks');
    if (!configCenter || !hooksDir) throw new Error('uni-config-center or vk-pay-hooks is missing from the project');
    const req = createRequire(path.join(configCenter, 'package.json'));
    const createConfig = req(configCenter) as (o: { pluginId: string }) => { config(): unknown };
    const config = parseConfig(createConfig({ pluginId: 'vk-pay' }).config());
    const ctx = createCoreContext({ dao: createBaseDao(host.db), db: host.db, config, hooks: { dir: hooksDir } });
    const timer = createSyncTimerForCore(ctx, { settings: flags.all ? { staleMs: 0 } : {} });
    const _ = host.db.command;
    const now = Date.now();
    const due = await ctx.dao.count({ dbName: COLLECTIONS.orders, whereJson: { status: 'pending', create_date: _.lte(now - timer.settings.staleMs) } });
    const refunds = await ctx.dao.count({ dbName: COLLECTIONS.refunds, whereJson: { status: 'processing' } });
    const bar = new SingleBar({ format: 'vk-pay-sync [{bar}] {value}/{total} {phase}', hideCursor: true }, Presets.shades_classic);
    bar.start(Math.max(1, due + refunds), 0, { phase: '' });
    const done = { refunds: 0, orders: 0, closed: 0 };
    const summary = await timer.runSync({
      now,
      budgetMs: flags.budgetMs,
      onProgress: (e: SyncProgress) => {
        done[e.phase] = e.handled;
        const value = done.refunds + done.orders + done.closed;
        if (value > bar.getTotal()) bar.setTotal(value);
        bar.update(value, { phase: e.phase });
      },
    });
    bar.update(bar.getTotal(), { phase: 'done' });
    bar.stop();
    return summary;
  } finally {
    await host.close();
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const home = path.resolve(process.env.VKPAY_HOME ?? path.join(REPO_ROOT, '.vkpay'));
  const port = Number(process.env.PORT ?? 8787);
  const summary = (await hostListening(port)) ? await viaRunningHost(port, home, flags) : await inProcess(home, flags);
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}

// Run only as the script (the tests import parseFlags).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) {
  main().then(() => process.exit(0), (err) => {
    console.error('[sync]', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

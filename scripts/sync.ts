/**
 * `npm run sync`: one run of the `vk-pay-sync` timer against the local host's data (`${VKPAY_HOME:-.vkpay}/db`)
 * and its sandbox, with a progress bar; prints the run's JSON summary.
 *
 * Which process does the work:
 *  - a host already listening on `${PORT:-8787}` owns the database (the embedded store enforces unique indexes
 *    in its own process, so a second writer must not open it): the run is asked of that host through
 *    `POST /__dev/timers/vk-pay-sync` (sandbox mode only), which answers with the summary;
 *  - otherwise the host is started here, in-process, on a free port (its sandbox included), the timer runs
 *    with a per-order progress bar, and the host is stopped again.
 *
 * Options: `--budget <ms>` (default: the config's, 50 s), `--all` (ignore the 2-minute grace: check every
 * pending order now, e.g. right after a demo payment whose notification was lost).
 */
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

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function hostListening(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1500) });
    return true;
  } catch {
    return false;
  }
}

async function viaRunningHost(port: number): Promise<unknown> {
  const bar = new SingleBar({ format: 'vk-pay-sync (host on :' + port + ') [{bar}] {value}/{total}', hideCursor: true }, Presets.shades_classic);
  bar.start(1, 0);
  const res = await fetch(`http://127.0.0.1:${port}/__dev/timers/vk-pay-sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  bar.update(1);
  bar.stop();
  const body = (await res.json()) as { code?: number; data?: unknown };
  if (!res.ok) throw new Error(`the host refused the timer run: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.data ?? body;
}

async function inProcess(home: string): Promise<unknown> {
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
    const all = process.argv.includes('--all');
    const timer = createSyncTimerForCore(ctx, { settings: all ? { staleMs: 0 } : {} });
    const _ = host.db.command;
    const now = Date.now();
    const due = await ctx.dao.count({ dbName: COLLECTIONS.orders, whereJson: { status: 'pending', create_date: _.lte(now - timer.settings.staleMs) } });
    const refunds = await ctx.dao.count({ dbName: COLLECTIONS.refunds, whereJson: { status: 'processing' } });
    const bar = new SingleBar({ format: 'vk-pay-sync [{bar}] {value}/{total} {phase}', hideCursor: true }, Presets.shades_classic);
    bar.start(Math.max(1, due + refunds), 0, { phase: '' });
    const done = { refunds: 0, orders: 0, closed: 0 };
    const budget = arg('--budget');
    const summary = await timer.runSync({
      now,
      budgetMs: budget ? Number(budget) : undefined,
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
  const home = path.resolve(process.env.VKPAY_HOME ?? path.join(REPO_ROOT, '.vkpay'));
  const port = Number(process.env.PORT ?? 8787);
  const summary = (await hostListening(port)) ? await viaRunningHost(port) : await inProcess(home);
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}

main().then(() => process.exit(0), (err) => {
  console.error('[sync]', err instanceof Error ? err.message : err);
  process.exit(1);
});

/**
 * The duplicate storm, small (the full 200 x 50 x 50 runs in `npm run bench notify-faults`): orders paid at the
 * sandbox, each genuine notification delivered many times by concurrent senders in random order through the
 * local host's notify route, while the sync timer runs again and again (the orders are made old enough for it
 * to query and repair them) and the payers keep querying. Every order ends paid exactly once - one pay move,
 * its own transaction id, no second-payment or orphan row - with its hook effect (points) exactly once, every
 * delivery is acknowledged, and no secret reaches a stored document or a log line.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHost, type Host } from '../../local/host';
import type { SandboxCredentials } from '../../sandbox/credentials';
import { secretLeaks, secretsOf } from '../../bench/notify/secrets';
import { ageOrders, createPaidOrders, runStorm, stormDbOf, stormProblems } from '../../bench/notify/storm';

let host: Host;
let home: string;
const logged: string[] = [];

beforeAll(async () => {
  for (const m of ['log', 'error', 'warn', 'info'] as const) vi.spyOn(console, m).mockImplementation((...args: unknown[]) => { logged.push(args.map(String).join(' ')); });
  home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-storm-'));
  host = await startHost({ port: 0, home, quiet: true, timers: false });
}, 120_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await host?.close();
  await rm(home, { recursive: true, force: true });
});

describe.each(['wxpay', 'alipay'] as const)('a duplicate storm (%s)', (channel) => {
  it('20 orders x 10 deliveries by 10 concurrent senders, timer and queries racing: each paid once, credited once', async () => {
    const creds = JSON.parse(await readFile(path.join(home, 'sandbox', 'credentials.json'), 'utf8')) as SandboxCredentials;
    const orders = await createPaidOrders(host.url, channel, 20, `st${channel}`);
    await ageOrders(host.db, orders.map((o) => o.out_trade_no));
    const tally = await runStorm({ base: () => host.url, creds, channel, orders, deliveries: 10, senders: 10, timer: true, queries: true });
    console.info(`[figures] storm ${channel}: ${JSON.stringify(tally)}`);
    expect(tally.deliveries).toBe(200);
    expect(tally.replies).toEqual({ 200: 200 }); // every copy acknowledged: first delivery or duplicate
    expect(tally.timerRuns).toBeGreaterThan(0);
    expect(tally.queries).toBeGreaterThan(0);
    expect(await stormProblems(stormDbOf(host.db), orders)).toEqual([]);
  }, 60_000);
});

describe('secrets', () => {
  it('after the storms, no private key, API key, APIv3 key or admin token in any stored document or log line', async () => {
    const creds = JSON.parse(await readFile(path.join(home, 'sandbox', 'credentials.json'), 'utf8')) as SandboxCredentials;
    expect(await secretLeaks(host.db, logged.join('\n'), secretsOf(creds, host.adminToken))).toEqual([]);
    // the check can fail: the key material is there to be found where it belongs
    expect(await readFile(path.join(home, 'sandbox', 'credentials.json'), 'utf8')).toContain(secretsOf(creds)[0].needle);
  });
});

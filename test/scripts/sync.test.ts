/**
 * `npm run sync` (issue 10): `--all` and `--budget` mean the same whether a host is running (the script asks it)
 * or not (the script starts one in-process); an unknown flag is refused instead of ignored.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../../local/host';
import { parseFlags } from '../../scripts/sync';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function sync(args: string[], env: Record<string, string>) {
  return run(TSX, [path.join(ROOT, 'scripts', 'sync.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 });
}

async function post<T = any>(host: Host, p: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${host.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return (await res.json()) as T;
}

/** A recharge paid at the sandbox whose notification never arrives: only a sync can find the payment. */
async function paidWithLostNotification(host: Host, uid: string): Promise<string> {
  const { token } = await post<{ token: string }>(host, '/__dev/login', { uid });
  const created = await post<{ data: { out_trade_no: string } }>(host, '/http/vk-pay-co/createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 7 }, { 'uni-id-token': token });
  const no = created.data.out_trade_no;
  await post(host, '/sandbox/control/faults', { channel: 'wxpay', unreachable: true });
  expect(await post(host, '/sandbox/control/pay', { channel: 'wxpay', out_trade_no: no })).toMatchObject({ ok: true });
  return no;
}

async function statusOf(host: Host, no: string): Promise<string> {
  return ((await host.db.collection('payment_orders').where({ out_trade_no: no }).get()).data[0] as { status: string }).status;
}

describe('npm run sync flags', () => {
  it('refuses what it does not know instead of ignoring it', () => {
    expect(parseFlags(['--all', '--budget', '5000'])).toEqual({ all: true, budgetMs: 5000, help: false });
    expect(parseFlags(['--budget=2000'])).toMatchObject({ budgetMs: 2000 });
    expect(() => parseFlags(['--al'])).toThrow(/unknown option --al/);
    expect(() => parseFlags(['--budget'])).toThrow(/--budget/);
    expect(() => parseFlags(['--budget', 'soon'])).toThrow(/--budget/);
  });
});

describe('npm run sync -- --all, with and without a running host', () => {
  let home: string;
  beforeAll(() => { home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-sync-')); });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('with the host running: without --all a fresh order waits for the grace; with --all it is repaired now', async () => {
    const host = await startHost({ port: 0, home, quiet: true, timers: false });
    try {
      const no = await paidWithLostNotification(host, 'sync-a');
      const env = { PORT: String(host.port), VKPAY_HOME: home };
      await sync([], env);
      expect(await statusOf(host, no)).toBe('pending');
      const { stdout } = await sync(['--all', '--budget', '30000'], env);
      expect(JSON.parse(stdout.slice(stdout.indexOf('{')))).toMatchObject({ all: { done: true, outcomes: { repaired: 1 } } });
      expect(await statusOf(host, no)).toBe('paid');
    } finally {
      await host.close();
    }
  }, 120_000);

  it('with no host: the script starts one in-process and --all repairs the order as well', async () => {
    let host = await startHost({ port: 0, home, quiet: true, timers: false });
    const no = await paidWithLostNotification(host, 'sync-b');
    const port = host.port;
    await host.close();
    await sync(['--all'], { PORT: String(port), VKPAY_HOME: home });
    host = await startHost({ port: 0, home, quiet: true, timers: false });
    try {
      expect(await statusOf(host, no)).toBe('paid');
    } finally {
      await host.close();
    }
  }, 120_000);
});

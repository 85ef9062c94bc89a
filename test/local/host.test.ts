/**
 * The local host: routes of docs/CONTRACTS.md section 3, bad input refused before any function runs (and nothing
 * written for it), data kept across a restart, and a clean stop on SIGINT.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../../local/host';

const ROOT = path.resolve(__dirname, '../..');
const SEED_COLLECTIONS = ['payment_orders', 'payment_transactions', 'refund_records', 'payment_logs', 'payment_errors', 'payment_notifications'];

let home: string;
let host: Host;

function post(p: string, body: string | Buffer = '{}', headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return fetch(host.url + p, { method: 'POST', body, headers });
}

async function dbFingerprint(): Promise<string> {
  const counts = await Promise.all(SEED_COLLECTIONS.map(async (c) => (await host.db.collection(c).count()).total));
  const data = path.join(home, 'db', 'data.mdb');
  const bytes = fs.existsSync(data) ? createHash('sha256').update(fs.readFileSync(data)).digest('hex') : 'none';
  return `${counts.join(',')}:${bytes}`;
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-host-'));
  host = await startHost({ port: 0, home, quiet: true, timers: false });
});

afterAll(async () => {
  await host?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('routes', () => {
  it('POST /http/vk-pay-co/<method> answers the envelope', async () => {
    const res = await post('/http/vk-pay-co/getPayOptions');
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.code).toBe(0);
    expect(body.msg).toBe('ok');
    // the pay options name both providers and their pay types (whichever services are wired in)
    const text = JSON.stringify(body.data);
    for (const word of ['wxpay', 'alipay', 'native', 'qr']) expect(text).toContain(word);
  });

  it('answers cross-origin callers of the URL-ized functions (preflight and reply)', async () => {
    const pre = await fetch(host.url + '/http/vk-pay-co/getPayOptions', { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    const res = await post('/http/vk-pay-co/getPayOptions');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('keeps its data under the home: admin token and database', () => {
    expect(host.home).toBe(path.resolve(home));
    const token = fs.readFileSync(path.join(home, 'admin-token'), 'utf8').trim();
    expect(token).toBe(host.adminToken);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(home, 'admin-token')).mode & 0o077).toBe(0);
    expect(fs.existsSync(path.join(home, 'db'))).toBe(true);
  });

  it('POST /http/vk-pay-notify/<channel> hands the raw notification to the function and returns its integrated response', async () => {
    const res = await post('/http/vk-pay-notify/wxpay', '{"id":"forged","resource":{}}', { 'content-type': 'application/json', 'wechatpay-signature': 'AAAA' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('content-type')).toContain('application/json');
    const v2 = await post('/http/vk-pay-notify/wxpay-v2', '<xml><return_code>SUCCESS</return_code></xml>', { 'content-type': 'text/xml' });
    expect(await v2.text()).toContain('FAIL');
    const unknown = await post('/http/vk-pay-notify/paypal', 'x');
    expect(unknown.status).toBe(404);
  });

  it('POST /__dev/timers/<function> runs the timer once and replies with its JSON summary', async () => {
    const res = await post('/__dev/timers/vk-pay-sync', '');
    expect(res.status).toBe(200);
    const summary = await res.json();
    expect(summary).toBeTypeOf('object');
    expect(await host.runTimer('vk-pay-sync')).toBeTypeOf('object');
    expect((await post('/__dev/timers/vk-pay-co', '')).status).toBe(404);
    expect((await post('/__dev/timers/nope', '')).status).toBe(404);
    await expect(host.runTimer('vk-pay-co')).rejects.toThrow(/no timer/);
  });

  it('GET / serves the H5 build when it exists, and explains how to build it otherwise', async () => {
    const res = await fetch(host.url + '/');
    const built = fs.existsSync(path.join(ROOT, 'dist', 'build', 'h5', 'index.html'));
    expect(res.status).toBe(built ? 200 : 503);
    expect(await res.text()).toMatch(built ? /<html/i : /build:h5/);
    // a path outside the build never escapes it
    const escape = await fetch(host.url + '/..%2f..%2fpackage.json');
    expect(await escape.text()).not.toContain('"devDependencies"');
  });
});

describe('bad input is refused and nothing is written', () => {
  it('unknown function or method -> 404 with the envelope; _-prefixed and inherited names are never callable', async () => {
    const before = await dbFingerprint();
    for (const p of ['/http/nope/x', '/http/vk-pay-co/nope', '/http/vk-pay-co/_before', '/http/vk-pay-co/_after', '/http/vk-pay-co/_timing',
      '/http/vk-pay-co/constructor', '/http/vk-pay-co/__proto__', '/http/vk-pay-co/toString', '/http/vk-pay-co/', '/http/vk-pay-co/%5Fbefore']) {
      const res = await post(p);
      expect(res.status, p).toBe(404);
      const body = (await res.json()) as any;
      expect(body, p).toMatchObject({ code: 40001, action: 'check the parameters' });
      expect(typeof body.msg).toBe('string');
    }
    expect(await dbFingerprint()).toBe(before);
  });

  it('a body that is not a JSON object -> 40001', async () => {
    const before = await dbFingerprint();
    for (const body of ['{not json', '[1,2]', '"text"', 'null']) {
      const res = await post('/http/vk-pay-co/getPayOptions', body);
      const env = (await res.json()) as any;
      expect(env, body).toMatchObject({ code: 40001 });
      expect(env.data).toBeUndefined();
    }
    expect(await dbFingerprint()).toBe(before);
  });

  it('a body over 256 KB -> 413 with 40001, for the cloud object and for notifications', async () => {
    const before = await dbFingerprint();
    const big = Buffer.alloc(256 * 1024 + 1, 0x61);
    for (const p of ['/http/vk-pay-co/getPayOptions', '/http/vk-pay-notify/wxpay']) {
      const res = await post(p, big);
      expect(res.status, p).toBe(413);
      expect(await res.json()).toMatchObject({ code: 40001 });
    }
    // exactly at the limit is accepted (and then judged as JSON)
    const atLimit = await post('/http/vk-pay-co/getPayOptions', JSON.stringify({ pad: 'x'.repeat(256 * 1024 - 12) }));
    expect(atLimit.status).toBe(200);
    expect(((await atLimit.json()) as any).code).toBe(0);
    expect(await dbFingerprint()).toBe(before);
  });
});

describe('persistence and stopping', () => {
  it('a document added before a restart is there after it', async () => {
    const restartHome = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-restart-'));
    try {
      const first = await startHost({ port: 0, home: restartHome, quiet: true, timers: false });
      const { id } = await first.db.collection('host_restart_check').add({ note: 'kept', amount: 123 });
      const token = first.adminToken;
      await first.close();
      const second = await startHost({ port: 0, home: restartHome, quiet: true, timers: false });
      try {
        const { data } = await second.db.collection('host_restart_check').doc(id).get();
        expect(data).toHaveLength(1);
        expect(data[0]).toMatchObject({ _id: id, note: 'kept', amount: 123 });
        expect(second.adminToken).toBe(token);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(restartHome, { recursive: true, force: true });
    }
  });

  it('two hosts in one process each see their own database', async () => {
    const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-other-'));
    const other = await startHost({ port: 0, home: otherHome, quiet: true, timers: false });
    try {
      await other.db.collection('host_isolation').add({ who: 'other' });
      expect((await host.db.collection('host_isolation').count()).total).toBe(0);
      expect((await other.db.collection('host_isolation').count()).total).toBe(1);
    } finally {
      await other.close();
      fs.rmSync(otherHome, { recursive: true, force: true });
    }
  });

  it('npm start\'s host prints ready with its URL, serves, and stops cleanly on SIGINT', async () => {
    const startHome = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-sigint-'));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'main.ts')], {
      cwd: ROOT, env: { ...process.env, PORT: '0', VKPAY_HOME: startHome }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line: ${output}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /ready.*?(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (m) { clearTimeout(timer); resolve(m[1]); }
        });
      });
      const res = await fetch(`${url}/http/vk-pay-co/getPayOptions`, { method: 'POST', body: '{}' });
      expect(((await res.json()) as any).code).toBe(0);
      child.kill('SIGINT');
      const { code } = await exited;
      expect(code, output).toBe(0);
      expect(output).toContain('stopping (SIGINT)');
      await expect(fetch(`${url}/`)).rejects.toThrow();
      // the database it closed opens again
      const again = await startHost({ port: 0, home: startHome, quiet: true, timers: false });
      await again.close();
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(startHome, { recursive: true, force: true });
    }
  });
});

/**
 * What a user uploads runs: build the cloud bundle, copy the built `uniCloud/cloudfunctions` tree outside the
 * repository (so no devDependency is reachable), install each function's `file:` common modules into its
 * node_modules by copying them (as HBuilderX does on upload), and run each entry point in a fresh `node`
 * process that is given only a `uniCloud` global.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const SOURCE = path.join(ROOT, 'uni_modules', 'vk-pay', 'uniCloud', 'cloudfunctions');
const HARNESS = path.join(__dirname, 'bundle-harness.cjs');
const FUNCTIONS = ['vk-pay-co', 'vk-pay-notify', 'vk-pay-sync'];

let workDir: string;
let cloudfunctions: string;

function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' && !src.endsWith('.tmp') });
}

function fileDeps(dir: string): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.fromEntries(Object.entries(pkg.dependencies ?? {}).filter(([, v]) => v.startsWith('file:')).map(([k, v]) => [k, v.slice(5)]));
}

/** uniCloud's install: every declared `file:` common module copied into the function's node_modules. */
function installCommonModules(fnDir: string): string[] {
  const installed: string[] = [];
  const sourceDir = path.join(SOURCE, path.basename(fnDir));
  for (const [name, rel] of Object.entries(fileDeps(fnDir))) {
    let from = path.resolve(sourceDir, rel);
    // DCloud's uni-id-common comes with a project that uses uni-id; this repository does not carry it, so the
    // upload gets the local host's implementation of the same token rules in its place.
    if (name === 'uni-id-common' && !fs.existsSync(from)) from = path.join(ROOT, 'local', 'uni-id-common');
    expect(fs.existsSync(path.join(from, 'package.json')), `${path.basename(fnDir)} depends on ${rel}, which does not exist`).toBe(true);
    copyTree(from, path.join(fnDir, 'node_modules', name));
    installed.push(name);
  }
  return installed;
}

function runHarness(fn: string, mode: string, payload: unknown): Promise<{ result?: any; error?: string; devDependencies?: string[] }> {
  const home = path.join(workDir, 'home');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: workDir, TZ: 'UTC',
    // what the local config (uni-config-center/vk-pay/config.js) reads: the sandbox credentials' home
    VKPAY_HOME: home, VKPAY_PUBLIC_URL: 'http://127.0.0.1:9',
    HARNESS_DB_MODULE: path.join(ROOT, 'local', 'db', 'index.ts'),
    HARNESS_DB_PATH: path.join(home, 'db'),
    HARNESS_DB_INDEX_DIR: path.join(ROOT, 'uni_modules', 'vk-pay', 'uniCloud', 'database'),
  };
  const tsx = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const args = ['--import', tsx, path.join(workDir, 'harness.cjs'), path.join(cloudfunctions, fn), mode, JSON.stringify(payload)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: workDir, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`harness printed no result (${err?.message ?? ''}): ${stdout}\n${stderr}`));
      }
    });
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cloud.mjs')], { cwd: ROOT, stdio: 'pipe' });
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-upload-'));
  cloudfunctions = path.join(workDir, 'cloudfunctions');
  copyTree(SOURCE, cloudfunctions);
  fs.copyFileSync(HARNESS, path.join(workDir, 'harness.cjs'));
  for (const fn of FUNCTIONS) installCommonModules(path.join(cloudfunctions, fn));
  const { ensureSandboxCredentials } = await import('../../sandbox/credentials');
  await ensureSandboxCredentials(path.join(workDir, 'home'));
}, 60_000);

afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('the uploaded cloud functions', () => {
  it('are outside the repository, with their common modules installed and no devDependency reachable', async () => {
    expect(path.relative(ROOT, workDir).startsWith('..')).toBe(true);
    for (const fn of FUNCTIONS) {
      const modules = fs.readdirSync(path.join(cloudfunctions, fn, 'node_modules'));
      expect(modules).toEqual(expect.arrayContaining(['vk-pay-core', 'uni-config-center']));
      expect(fs.existsSync(path.join(cloudfunctions, fn, 'node_modules', 'vk-pay-core', 'index.js'))).toBe(true);
    }
    const out = await runHarness('vk-pay-co', 'object', { method: 'getPayOptions', params: {} });
    expect(out.error).toBeUndefined();
    expect(out.devDependencies).toEqual([]);
  });

  it('vk-pay-co: a method called through _before/_after answers the envelope', async () => {
    const out = await runHarness('vk-pay-co', 'object', { method: 'getPayOptions', params: {} });
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ code: 0, msg: 'ok' });
    expect(out.result.data).toBeTypeOf('object');
    const text = JSON.stringify(out.result.data);
    for (const word of ['wxpay', 'alipay', 'native', 'qr']) expect(text).toContain(word);
  });

  it('vk-pay-co: a body that is not JSON is refused with 40001 by _before', async () => {
    const out = await runHarness('vk-pay-co', 'object', { method: 'getPayOptions', rawBody: '{not json' });
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ code: 40001, action: 'check the parameters' });
  });

  it('vk-pay-notify: an unverifiable notification gets an integrated response that is not a success', async () => {
    const out = await runHarness('vk-pay-notify', 'notify', { path: '/wxpay', headers: { 'Content-Type': 'application/json' }, body: '{"id":"forged"}' });
    expect(out.error).toBeUndefined();
    expect(out.result.mpserverlessComposedResponse).toBe(true);
    expect(out.result.statusCode).toBeGreaterThanOrEqual(400);
    const unknown = await runHarness('vk-pay-notify', 'notify', { path: '/paypal', body: 'x' });
    expect(unknown.result.statusCode).toBe(404);
  });

  it('vk-pay-sync: the timer runs and returns a JSON summary', async () => {
    const out = await runHarness('vk-pay-sync', 'timer', { time: Date.UTC(2026, 0, 1, 4, 0, 0) });
    expect(out.error).toBeUndefined();
    expect(out.result).toBeTypeOf('object');
    expect(JSON.parse(JSON.stringify(out.result))).toEqual(out.result);
  });

  it('vk-pay-sync declares a 7-field every-minute timer; the URL-ized functions declare their paths', () => {
    const config = (fn: string) => JSON.parse(fs.readFileSync(path.join(cloudfunctions, fn, 'package.json'), 'utf8'))['cloudfunction-config'];
    expect(config('vk-pay-sync').triggers).toEqual([{ name: 'vk-pay-sync', type: 'timer', config: '0 * * * * * *' }]);
    expect(config('vk-pay-co').path).toBe('/http/vk-pay-co');
    expect(config('vk-pay-notify').path).toBe('/http/vk-pay-notify');
    for (const fn of FUNCTIONS) expect(config(fn).timeout).toBeGreaterThan(0);
  });
});

/**
 * The demo's mp-weixin build for the simulator tests, made with the real toolchain (`uni build -p mp-weixin`) the
 * way HBuilderX builds a mini program run "with local cloud functions": a uniCloud space bound and uniCloud's
 * client pointed at the local host (scripts/build-h5.mjs's localDebugEnv, the same as the H5 browser tests use),
 * so `uniCloud.importObject('vk-pay-co')` in the mini program reaches the host over `wx.request`.
 *
 * The host's port is compiled into the client, so the build (dist/mp-test/mp-weixin) is kept with its port in
 * unicloud-debug.json (written by vite.config.ts) and reused while it is newer than the client's sources and that
 * port is free; otherwise it is rebuilt for a free port (about a minute on two cores).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(__dirname, '..', '..');
export const MP_WEIXIN_DIR = path.join(ROOT, 'dist', 'mp-test', 'mp-weixin');
const STAMP = 'unicloud-debug.json';
/** what the mini program is compiled from (the cloud code runs on the host, from its own sources) */
const CLIENT_SOURCES = ['main.ts', 'App.vue', 'pages.json', 'manifest.json', 'vite.config.ts', 'scripts/build-h5.mjs', 'pages', 'components', 'locale', 'uni_modules/vk-pay/components', 'uni_modules/vk-pay/common', 'package-lock.json'];

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

/** The port a build in `dir` calls, when it is complete and newer than every client source. */
export function freshBuildPort(dir = MP_WEIXIN_DIR): number | undefined {
  const stamp = path.join(dir, STAMP);
  if (!fs.existsSync(path.join(dir, 'app.js')) || !fs.existsSync(stamp)) return undefined;
  const sources = Math.max(...CLIENT_SOURCES.map((s) => path.join(ROOT, s)).filter((p) => fs.existsSync(p)).map(newestMtime));
  if (fs.statSync(stamp).mtimeMs <= sources) return undefined;
  const port = (JSON.parse(fs.readFileSync(stamp, 'utf8')) as { servePort?: unknown }).servePort;
  return typeof port === 'number' ? port : undefined;
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** `uni build -p mp-weixin` of the demo for a host on 127.0.0.1:<port>. */
export async function buildMpWeixin(port: number, outDir = MP_WEIXIN_DIR): Promise<void> {
  const { localDebugEnv } = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-h5.mjs')).href)) as { localDebugEnv(port: number): Record<string, string> };
  const env: NodeJS.ProcessEnv = {};
  // as the fresh-project builds do: vitest's NODE_ENV=test would change the build
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_ENV' && !k.startsWith('VITEST') && !k.startsWith('VKPAY_')) env[k] = v;
  fs.rmSync(outDir, { recursive: true, force: true });
  await new Promise<void>((resolve, reject) => {
    execFile(path.join(ROOT, 'node_modules', '.bin', 'uni'), ['build', '-p', 'mp-weixin'], {
      cwd: ROOT,
      env: { ...env, ...localDebugEnv(port), UNI_INPUT_DIR: ROOT, UNI_OUTPUT_DIR: outDir },
      maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => (err ? reject(new Error(`uni build -p mp-weixin failed:\n${stdout}\n${stderr}`)) : resolve()));
  });
}

/** A fresh build and the port its client calls: the kept one when its port is free, else a new one. */
export async function ensureMpWeixinBuild(): Promise<{ dir: string; port: number; rebuilt: boolean }> {
  const kept = freshBuildPort();
  if (kept !== undefined && (await portIsFree(kept))) return { dir: MP_WEIXIN_DIR, port: kept, rebuilt: false };
  const port = await freePort();
  await buildMpWeixin(port);
  return { dir: MP_WEIXIN_DIR, port, rebuilt: true };
}

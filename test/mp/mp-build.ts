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
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtAfterSources, DEBUG_STAMP, freePort, portIsFree, ROOT, stampedPort } from '../support/local-debug-build';

export const MP_WEIXIN_DIR = path.join(ROOT, 'dist', 'mp-test', 'mp-weixin');
/** what the mini program is compiled from (the cloud code runs on the host, from its own sources) */
const CLIENT_SOURCES = ['main.ts', 'App.vue', 'pages.json', 'manifest.json', 'vite.config.ts', 'scripts/build-h5.mjs', 'pages', 'components', 'locale', 'uni_modules/vk-pay/components', 'uni_modules/vk-pay/common', 'package-lock.json'];

/** The port a build in `dir` calls, when it is complete and newer than every client source. */
export function freshBuildPort(dir = MP_WEIXIN_DIR): number | undefined {
  if (!fs.existsSync(path.join(dir, 'app.js')) || !builtAfterSources(path.join(dir, DEBUG_STAMP), CLIENT_SOURCES)) return undefined;
  return stampedPort(dir);
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

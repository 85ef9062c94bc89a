#!/usr/bin/env node
// `npm run build:h5`: the demo's H5 app (uni build -p h5 -> dist/build/h5), built as HBuilderX builds an app run
// "with local cloud functions": a uniCloud space bound (LOCAL_SPACE) and uniCloud's client pointed at the local
// host, so `uniCloud.importObject('vk-pay-co')` in the app reaches the host's local-debug routes
// (local/server/local-debug.ts). The host's address is compiled in, so the build and the host must agree on the
// port: ${PORT:-8787}, as `npm start` uses. The build writes `unicloud-debug.json` next to index.html naming it.
//
//   node scripts/build-h5.mjs                     dist/build/h5 for http://127.0.0.1:${PORT:-8787}
//   node scripts/build-h5.mjs --port 9100 --out <dir>
//
// A plain `uni build -p h5` still builds the app without a space: the component then uses HTTP to /http/vk-pay-co.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const H5_OUT_DIR = path.join(ROOT, 'dist', 'build', 'h5');
export const STAMP_FILE = 'unicloud-debug.json';
export const DEFAULT_PORT = 8787;

/**
 * The space the demo is bound to, in HBuilderX's UNI_CLOUD_SPACES form. `dcloud` because its client signs in
 * without a request (aliyun's fetches an anonymous token from api.bspapp.com before every first call); no
 * apiEndpoint, so if the local host were ever skipped the SDK fails with a clear error instead of calling a
 * cloud. Nothing here is a secret: the space exists only on this machine.
 */
export const LOCAL_SPACE = { provider: 'dcloud', id: 'vk-pay-local', name: 'vk-pay-local', clientSecret: '' };

/** The environment uni-app's toolchain reads for a local-debug build against 127.0.0.1:<port>. */
export function localDebugEnv(port) {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`the H5 app needs the host's port at build time; got ${port}`);
  return {
    UNI_CLOUD_SPACES: JSON.stringify([LOCAL_SPACE]),
    // Empty, so uni-app derives it from UNI_CLOUD_SPACES (an inherited value would win over the space above).
    UNI_CLOUD_PROVIDER: '',
    // initialLaunchType 'local': if the host does not answer, calls fail instead of falling back to a cloud.
    UNICLOUD_DEBUG: JSON.stringify({ address: ['127.0.0.1'], servePort: port, initialLaunchType: 'local' }),
  };
}

/** The port a build in `dir` calls, or undefined when it is missing or was not built for local debugging. */
export function builtForPort(dir = H5_OUT_DIR) {
  try {
    if (!fs.existsSync(path.join(dir, 'index.html'))) return undefined;
    const stamp = JSON.parse(fs.readFileSync(path.join(dir, STAMP_FILE), 'utf8'));
    return Number.isInteger(stamp.servePort) ? stamp.servePort : undefined;
  } catch {
    return undefined;
  }
}

export function portFromEnv(env = process.env) {
  return env.PORT ? Number(env.PORT) : DEFAULT_PORT;
}

/** Runs the real toolchain; returns its exit status. */
export function buildH5({ port = portFromEnv(), outDir = H5_OUT_DIR, stdio = 'inherit' } = {}) {
  const env = { ...process.env, ...localDebugEnv(port), UNI_INPUT_DIR: ROOT, UNI_OUTPUT_DIR: outDir };
  const uni = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'uni.cmd' : 'uni');
  const r = spawnSync(uni, ['build', '-p', 'h5'], { cwd: ROOT, env, stdio });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = opt('--port') ? Number(opt('--port')) : portFromEnv();
  const outDir = opt('--out') ? path.resolve(opt('--out')) : H5_OUT_DIR;
  const status = buildH5({ port, outDir });
  if (status === 0) console.log(`H5 app in ${path.relative(ROOT, outDir) || '.'} calls uniCloud on the local host at http://127.0.0.1:${port}`);
  process.exit(status);
}

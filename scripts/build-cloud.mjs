#!/usr/bin/env node
// `npm run build:cloud`: esbuild bundles the TypeScript core (vk-pay-core/src/index.ts plus everything it
// imports, npm packages included) into one CommonJS file, uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/index.js,
// that runs on uniCloud's default Node 16 runtime with nothing installed. Only the sibling common modules stay
// external (see CLOUD_EXTERNALS): uniCloud installs them beside the bundle from each function's `file:`
// dependencies, and they read files next to themselves (uni-config-center/vk-pay/config.js, vk-pay-hooks/<type>.js).
//
//   node scripts/build-cloud.mjs             build
//   node scripts/build-cloud.mjs --if-stale  build only when the bundle is missing or older than its sources
//                                            (the local host runs this before loading the functions)
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN_DIR = path.join(ROOT, 'uni_modules', 'vk-pay');
const CORE_DIR = path.join(PLUGIN_DIR, 'uniCloud', 'cloudfunctions', 'common', 'vk-pay-core');
export const CORE_BUNDLE = path.join(CORE_DIR, 'index.js');
// Common modules resolved at run time from the function's node_modules, never bundled: vk-pay's own siblings,
// and DCloud's uni-id modules, which a project using uni-id already has (the auth adapter requires them only then).
export const CLOUD_EXTERNALS = ['uni-config-center', 'uni-config-center/*', 'vk-pay-hooks', 'vk-pay-hooks/*', 'uni-id-common', 'uni-id'];
const SOURCE_DIRS = [path.join(CORE_DIR, 'src'), path.join(PLUGIN_DIR, 'common')];

export async function buildCloud(outfile = CORE_BUNDLE) {
  const started = Date.now();
  const result = await build({
    entryPoints: [path.join(CORE_DIR, 'src', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node16',
    format: 'cjs',
    external: CLOUD_EXTERNALS,
    write: false,
    logLevel: 'silent',
    legalComments: 'eof',
    banner: { js: '// vk-pay-core: built by `npm run build:cloud` from src/ (do not edit; not committed).' },
    outfile,
  });
  const out = result.outputFiles[0];
  // Write then rename: a host loading the bundle never reads a half-written file, and parallel builds
  // (several test files starting hosts at once) leave one complete bundle.
  const tmp = `${outfile}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, out.contents);
  fs.renameSync(tmp, outfile);
  return { outfile, bytes: out.contents.byteLength, ms: Date.now() - started };
}

function newestMtime(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (/\.(ts|js|json|mjs|cjs)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when the bundle is missing or older than any of its sources (the core's src/ and the shared common/). */
export function cloudBuildIsStale(outfile = CORE_BUNDLE) {
  if (!fs.existsSync(outfile)) return true;
  const built = fs.statSync(outfile).mtimeMs;
  return SOURCE_DIRS.some((dir) => newestMtime(dir) > built);
}

async function cli() {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !cloudBuildIsStale()) return;
  try {
    const { outfile, bytes, ms } = await buildCloud();
    console.log(`build:cloud wrote ${path.relative(ROOT, outfile)} (${(bytes / 1024).toFixed(1)} KB) in ${ms} ms`);
  } catch (err) {
    const details = err && Array.isArray(err.errors) ? err.errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('\n') : err;
    console.error('build:cloud failed:', details);
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await cli();

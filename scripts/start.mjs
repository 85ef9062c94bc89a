#!/usr/bin/env node
// `npm start`: builds what is missing (the cloud bundle when missing or stale, the H5 app when missing), then
// runs the local host (local/main.ts through tsx) on ${PORT:-8787} with data under ${VKPAY_HOME:-.vkpay}.
// The host prints a line containing `ready` and its URL; SIGINT/SIGTERM stop it cleanly.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCloud, cloudBuildIsStale } from './build-cloud.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const H5_INDEX = path.join(ROOT, 'dist', 'build', 'h5', 'index.html');

if (cloudBuildIsStale()) {
  const { bytes, ms } = await buildCloud();
  console.log(`built the cloud bundle (${(bytes / 1024).toFixed(1)} KB) in ${ms} ms`);
}

if (!fs.existsSync(H5_INDEX)) {
  console.log('building the H5 app (npm run build:h5) ...');
  const started = Date.now();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '--silent', 'build:h5'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status === 0) console.log(`built the H5 app in ${Date.now() - started} ms`);
  // The API and the sandbox are still useful without the app; the host explains at / how to build it.
  else console.error('npm run build:h5 failed; starting the host without the H5 app');
}

const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'main.ts')], { cwd: ROOT, stdio: 'inherit' });
// Ctrl-C reaches the whole process group; a signal sent to this process alone is passed on. Either way the
// host stops once and this process exits with its code.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

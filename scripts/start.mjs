#!/usr/bin/env node
// `npm start`: builds what is missing (the cloud bundle when missing or stale, the H5 app when missing or built
// for another port), then runs the local host (local/main.ts through tsx) on ${PORT:-8787} with data under
// ${VKPAY_HOME:-.vkpay}. The H5 app calls uniCloud on the host at the port compiled into it (scripts/build-h5.mjs),
// so a build for another port is rebuilt. The host prints a line containing `ready` and its URL; SIGINT/SIGTERM
// stop it cleanly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCloud, cloudBuildIsStale } from './build-cloud.mjs';
import { buildH5, builtForPort, portFromEnv } from './build-h5.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (cloudBuildIsStale()) {
  const { bytes, ms } = await buildCloud();
  console.log(`built the cloud bundle (${(bytes / 1024).toFixed(1)} KB) in ${ms} ms`);
}

const port = portFromEnv();
const builtFor = builtForPort();
if (port === 0) {
  console.error('PORT=0: the H5 app needs the port at build time, so it is not (re)built; its uniCloud calls will fail');
} else if (builtFor !== port) {
  const why = builtFor === undefined ? 'missing or not built for the local host' : `built for port ${builtFor}`;
  console.log(`building the H5 app for port ${port} (${why}) ...`);
  const started = Date.now();
  if (buildH5({ port }) === 0) console.log(`built the H5 app in ${Date.now() - started} ms`);
  // The API and the sandbox are still useful without the app; the host explains at / how to build it.
  else console.error('the H5 build failed; starting the host without the H5 app');
}

const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'main.ts')], { cwd: ROOT, stdio: 'inherit' });
// Ctrl-C reaches the whole process group; a signal sent to this process alone is passed on. Either way the
// host stops once and this process exits with its code.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or only those named on the command line) one after another.
 * Each module's default export prints its own figures: medians, and a ratio against a baseline measured in the
 * same run, so a figure is always read against this machine as it is today.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const here = __dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

async function main(): Promise<number> {
  let failed = 0;
  for (const file of files) {
  console.log(`\n== ${file}`);
  const started = process.hrtime.bigint();
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<void> };
    await mod.default();
  } catch (err) {
    failed++;
    console.error(`bench ${file} failed:`, err);
  }
  console.log(`(${file}: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s)`);
  }
  if (files.length === 0) console.log('no benchmarks matched');
  return failed;
}

// No top-level await: tsx runs this file as CommonJS (package.json has no "type": "module").
main().then((failed) => { process.exitCode = failed ? 1 : 0; });

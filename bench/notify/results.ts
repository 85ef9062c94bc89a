/**
 * bench/results/latest.json: the figures of the last run of each benchmark section, with the machine they were
 * measured on and the command, meant to be committed beside the code they describe.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const FILE = path.resolve(__dirname, '../results/latest.json');

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version, platform: `${os.platform()} ${os.release()}`, load_average_at_start: os.loadavg().map((l) => +l.toFixed(2)),
  };
}

/** Replaces one section of latest.json, keeping the others. */
export async function writeResults(section: string, figures: Record<string, unknown>): Promise<void> {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(await readFile(FILE, 'utf8')) as Record<string, unknown>;
  } catch { /* first run */ }
  all[section] = { command: `npm run bench ${section.split('.')[0]}`, measured_at: new Date().toISOString(), machine: machine(), ...figures };
  await mkdir(path.dirname(FILE), { recursive: true });
  await writeFile(FILE, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`\nwritten: ${path.relative(process.cwd(), FILE)} (${section})`);
}

/**
 * The load generator of the notify benchmarks, in its own process (as a gateway is elsewhere): it signs every
 * notification BEFORE any timed phase, then on each `run` command POSTs the whole list to a URL at a given
 * concurrency over keep-alive loopback HTTP and reports rate, per-second medians and latency percentiles.
 *
 *   const gen = await startLoadgen({ credsFile, channel: 'wxpay', orders });   // spawns and signs
 *   const r = await gen.run(`${url}/http/vk-pay-notify/wxpay`, 64, 'host');
 *   await gen.close();
 *
 * Child protocol (one JSON object per line): stdin {cmd:'run', url, concurrency, tag} | {cmd:'exit'};
 * stdout {signed, ms} once, then {result} per run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { SandboxCredentials } from '../../sandbox/credentials';
import { isAccepted } from '../../sandbox/notifier';
import { paidNotification, type BenchChannel, type PaidFacts, type SignedRequest } from './genuine';

export interface LoadJob {
  credsFile: string;
  channel: BenchChannel;
  orders: PaidFacts[];
}

export interface RunResult {
  tag: string;
  n: number;
  accepted: number;
  statuses: Record<string, number>;
  elapsed_ms: number;
  /** accepted replies per second over the whole run */
  rate: number;
  /** median of the per-second completion counts (first and last second left out) */
  median_window_rate: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function medianOf(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[(s.length >> 1) - 1] + s[s.length >> 1]) / 2;
}

/** POSTs every request once, `concurrency` at a time, and measures. */
export async function sendAll(channel: BenchChannel, url: string, requests: SignedRequest[], concurrency: number, tag: string): Promise<RunResult> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies = new Array<number>(requests.length);
  const doneAt = new Array<number>(requests.length);
  const statuses: Record<string, number> = {};
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  const one = (req: SignedRequest) => new Promise<void>((resolve) => {
    const t0 = performance.now();
    const r = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { ...req.headers, 'content-length': Buffer.byteLength(req.body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (isAccepted(channel, status, Buffer.concat(chunks).toString('utf8'))) accepted++;
        resolve(finish(t0));
      });
    });
    r.on('error', () => { statuses.error = (statuses.error ?? 0) + 1; resolve(finish(t0)); });
    r.end(req.body);
  });
  let completed = 0;
  const finish = (t0: number): void => {
    const now = performance.now();
    latencies[completed] = now - t0;
    doneAt[completed] = now - started;
    completed++;
  };
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++];
      await one(req);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - started;
  agent.destroy();
  const sorted = latencies.slice(0, completed).sort((a, b) => a - b);
  const windows: number[] = [];
  for (const t of doneAt.slice(0, completed)) windows[Math.floor(t / 1000)] = (windows[Math.floor(t / 1000)] ?? 0) + 1;
  const full = windows.slice(1, -1).map((w) => w ?? 0);
  return {
    tag, n: requests.length, accepted, statuses, elapsed_ms: Math.round(elapsed),
    rate: Math.round((accepted / elapsed) * 1000),
    median_window_rate: full.length ? medianOf(full) : Math.round((accepted / elapsed) * 1000),
    p50_ms: +percentile(sorted, 50).toFixed(2), p99_ms: +percentile(sorted, 99).toFixed(2), max_ms: +sorted[sorted.length - 1].toFixed(2),
  };
}

/** Child side: sign everything, then serve run commands. */
async function child(jobFile: string): Promise<void> {
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as LoadJob;
  const creds = JSON.parse(readFileSync(job.credsFile, 'utf8')) as SandboxCredentials;
  const t0 = performance.now();
  const requests = job.orders.map((o) => paidNotification(creds, o));
  process.stdout.write(`${JSON.stringify({ signed: requests.length, ms: Math.round(performance.now() - t0) })}\n`);
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const cmd = JSON.parse(line) as { cmd: 'run' | 'exit'; url?: string; concurrency?: number; tag?: string; limit?: number; offset?: number };
    if (cmd.cmd === 'exit') break;
    const from = cmd.offset ?? 0;
    const list = requests.slice(from, cmd.limit ? from + cmd.limit : undefined);
    const result = await sendAll(job.channel, cmd.url as string, list, cmd.concurrency ?? 64, cmd.tag ?? '');
    process.stdout.write(`${JSON.stringify({ result })}\n`);
  }
  process.exit(0);
}

export interface Loadgen {
  signMs: number;
  /** sends the signed requests [offset, offset + limit) (default: all of them) */
  run(url: string, concurrency: number, tag: string, limit?: number, offset?: number): Promise<RunResult>;
  close(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');

export async function startLoadgen(job: LoadJob): Promise<Loadgen> {
  const jobFile = path.join(os.tmpdir(), `vkpay-loadgen-${process.pid}-${Date.now()}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const proc: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), __filename, jobFile], {
    env: { ...process.env, VKPAY_LOADGEN_CHILD: '1' }, stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: proc.stdout! });
  const waiting: Array<(v: Record<string, unknown>) => void> = [];
  const queued: Record<string, unknown>[] = [];
  lines.on('line', (l) => {
    let v: Record<string, unknown>;
    try { v = JSON.parse(l) as Record<string, unknown>; } catch { return; }
    const w = waiting.shift();
    if (w) w(v); else queued.push(v);
  });
  let exited: Error | undefined;
  const rejectors: Array<(e: Error) => void> = [];
  proc.once('exit', (code) => {
    exited = new Error(`load generator exited (${code})`);
    for (const r of rejectors.splice(0)) r(exited);
  });
  const nextMessage = () => new Promise<Record<string, unknown>>((resolve, reject) => {
    const q = queued.shift();
    if (q) return resolve(q);
    if (exited) return reject(exited);
    waiting.push(resolve);
    rejectors.push(reject);
  });
  const signed = await nextMessage();
  return {
    signMs: Number(signed.ms),
    async run(url, concurrency, tag, limit, offset) {
      proc.stdin!.write(`${JSON.stringify({ cmd: 'run', url, concurrency, tag, limit, offset })}\n`);
      return (await nextMessage()).result as RunResult;
    },
    async close() {
      proc.stdin!.write(`${JSON.stringify({ cmd: 'exit' })}\n`);
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

if (process.env.VKPAY_LOADGEN_CHILD === '1' && process.argv[2]) {
  void child(process.argv[2]);
}

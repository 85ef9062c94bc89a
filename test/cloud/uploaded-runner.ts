/**
 * Runs one call of an uploaded cloud function in a child process of a given Node binary (bundle-harness.cjs),
 * and serves the child's `uniCloud` from this process: every database call the function makes arrives as the
 * recorded chain (collection, where, orderBy, ..., then get/update/add/...) and is replayed here on the local
 * host's real database (lmdb + mingo, the same object `uniCloud.database()` is on the local host); every
 * `uniCloud.httpclient.request` runs on the local host's httpclient. The function's code itself, and everything
 * it requires from its node_modules, runs on the child's Node.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Database } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { httpclientRequest, type HttpclientOptions } from '../../local/runtime/httpclient';

type Step = [name: string, args: unknown[] | null];
type EncodedError = { name: string; message: string; code?: unknown; status?: unknown };
interface Wire {
  encode(value: unknown, hooks?: unknown, where?: string): unknown;
  decode(value: unknown, hooks?: { command?: (steps: Step[]) => unknown }): any;
  encodeError(err: unknown): EncodedError;
}
const wire = createRequire(__filename)('./wire.cjs') as Wire;

export type HarnessMode = 'object' | 'notify' | 'timer' | 'login' | 'config' | 'probe';

export interface UploadedCall {
  /** the Node binary to run on */
  node: string;
  harness: string;
  fnDir: string;
  mode: HarnessMode;
  payload: unknown;
  /** the database the function's uniCloud.database() reaches; none for a call that must not touch one */
  db?: Database;
  env: NodeJS.ProcessEnv;
  cwd: string;
  timeoutMs?: number;
}

export interface UploadedResult {
  result: any;
  /** repository devDependencies the function could resolve (should be none) */
  devDependencies: string[];
  /** process.version inside the child */
  node: string;
}

/** Names a call may never reach on the host's database object (it belongs to the test, not the function). */
const FORBIDDEN = new Set(['close', 'constructor', '__proto__', 'prototype']);

/** Applies recorded calls to `root`: `[name, args]` calls a method, `[name, null]` reads a property. */
function replay(root: unknown, steps: Step[], what: string): unknown {
  let cur: any = root;
  let trail = what;
  for (const [name, args] of steps) {
    trail += `.${name}`;
    if (typeof name !== 'string' || FORBIDDEN.has(name) || name.startsWith('_')) throw new TypeError(`${trail} is not available to a cloud function`);
    if (args === null) {
      cur = cur?.[name];
      continue;
    }
    const fn = cur?.[name];
    if (typeof fn !== 'function') throw new TypeError(`${trail} is not a function`);
    cur = fn.apply(cur, args);
  }
  return cur;
}

function decodeSteps(db: Database, steps: Step[]): Step[] {
  const hooks = { command: (cmd: Step[]) => replay(db.command, cmd, 'db.command') };
  return steps.map(([name, args]) => [name, args === null ? null : (wire.decode(args, hooks) as unknown[])]);
}

async function serve(db: Database | undefined, msg: { kind: string; steps?: Step[]; url?: string; options?: unknown }): Promise<unknown> {
  if (msg.kind === 'db') {
    if (!db) throw new Error('this call has no database');
    return wire.encode(await replay(db, decodeSteps(db, msg.steps ?? []), 'db'), undefined, 'database answer');
  }
  if (msg.kind === 'http') return wire.encode(await httpclientRequest(String(msg.url), wire.decode(msg.options) as HttpclientOptions), undefined, 'httpclient answer');
  throw new Error(`unknown call ${msg.kind}`);
}

export function runUploaded(call: UploadedCall): Promise<UploadedResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(call.node, [call.harness], { cwd: call.cwd, env: call.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    let settled = false;
    const keep = (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-20_000); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${call.mode} ${call.fnDir} on ${call.node}: ${why}\n--- child output ---\n${output}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${call.timeoutMs ?? 30_000} ms`), call.timeoutMs ?? 30_000);
    child.on('error', (err) => fail(`could not start: ${err.message}`));
    // 'close' comes after the IPC channel has delivered everything, so a close before the answer means it died
    child.on('close', (code, signal) => fail(`exited (${signal ?? code}) without an answer`));
    child.on('message', (msg: any) => {
      if (msg?.type === 'call') {
        serve(call.db, msg).then(
          (value) => ({ type: 'reply', id: msg.id, ok: true, value }),
          (err) => ({ type: 'reply', id: msg.id, ok: false, error: wire.encodeError(err) }),
        ).then((reply) => { if (child.connected) child.send(reply); });
        return;
      }
      if (msg?.type === 'failed') return fail(`the call threw on ${msg.node}: ${msg.error}`);
      if (msg?.type === 'done' && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ result: wire.decode(msg.result), devDependencies: msg.devDependencies, node: msg.node });
      }
    });
    child.send({ type: 'invoke', fnDir: call.fnDir, mode: call.mode, payload: call.payload });
  });
}

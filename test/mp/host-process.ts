/**
 * The local host (with its sandbox) as `npm start` runs it, in a process of its own: the server a mini program
 * talks to is another machine, and here it must be another JavaScript realm too. Both sides use a global named
 * `uniCloud` - the host's cloud functions the server API (database, httpclient), the mini program's uniCloud
 * client SDK the client one, which on mp-weixin it keeps on the global object - so the two cannot share a process.
 *
 * The test reads what the server holds through the host's own doors: the admin's `getOrder` with the admin
 * token the host wrote under its VKPAY_HOME, and the sandbox's files there (credentials.json).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface HostProcess {
  url: string;
  home: string;
  /** the sandbox's keys and ids (sandbox/credentials.json under the host's home) */
  credentials(): any;
  /** POST a JSON body to the host; status and parsed body */
  post(p: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any }>;
  /** the order row as the admin sees it (getOrder with the admin bearer token) */
  order(outTradeNo: string): Promise<any>;
  close(): Promise<void>;
}

/**
 * Starts `local/main.ts` on 127.0.0.1:<port> with a fresh VKPAY_HOME; resolves once it prints `ready`. `env` adds
 * settings of `npm start` (VKPAY_KEY_MODES, say); nothing else of this process's VKPAY_* reaches the host.
 */
export async function startHostProcess(port: number, extraEnv: Record<string, string> = {}): Promise<HostProcess> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-mp-host-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && !k.startsWith('VKPAY_') && k !== 'NODE_ENV') env[k] = v;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'local', 'main.ts')], {
    cwd: ROOT,
    env: { ...env, ...extraEnv, PORT: String(port), VKPAY_HOME: home, VKPAY_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // a test process that dies (or is stopped) takes its host with it
  const killChild = () => { if (child.exitCode === null) child.kill('SIGKILL'); };
  process.once('exit', killChild);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /local host ready at (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.once('exit', (code) => reject(new Error(`the local host exited (${code}) before it was ready:\n${output}`)));
  });
  // node:http rather than the global fetch, which a DOM test environment replaces with a browser's (CORS rules)
  const post: HostProcess['post'] = (p, body, headers = {}) => new Promise((resolve, reject) => {
    const req = http.request(url + p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = text;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  const adminToken = () => fs.readFileSync(path.join(home, 'admin-token'), 'utf8').trim();
  return {
    url,
    home,
    credentials: () => JSON.parse(fs.readFileSync(path.join(home, 'sandbox', 'credentials.json'), 'utf8')),
    post,
    async order(outTradeNo) {
      const r = await post('/http/vk-pay-co/getOrder', { out_trade_no: outTradeNo }, { authorization: `Bearer ${adminToken()}` });
      if (r.json?.errCode !== 0) throw new Error(`getOrder ${outTradeNo}: ${JSON.stringify(r.json)}`);
      return r.json.data;
    },
    async close() {
      process.removeListener('exit', killChild);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

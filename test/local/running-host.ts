/**
 * A local host started once for a test file (`startHost` on a fresh VKPAY_HOME, no timers) and closed after it,
 * with the few requests the end-to-end files make: a JSON POST answered with status and body, and a read of a
 * collection of the host's own database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startHost, type Host } from '../../local/host';

export interface RunningHost {
  /** the host (set once beforeAll ran) */
  readonly host: Host;
  /** its VKPAY_HOME */
  readonly home: string;
  /** POST a JSON body; the answer's status and body (parsed when it is JSON) */
  post(p: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any }>;
  /** POST a JSON body; the parsed answer */
  postJson(p: string, body: unknown, headers?: Record<string, string>): Promise<any>;
  /** up to 100 documents of a collection matching `where` */
  find(coll: string, where: Record<string, unknown>): Promise<any[]>;
}

export function useRunningHost(tmpPrefix: string, startTimeoutMs = 120_000): RunningHost {
  let home: string | undefined;
  let host: Host | undefined;
  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
    host = await startHost({ port: 0, home, quiet: true, timers: false });
  }, startTimeoutMs);
  afterAll(async () => {
    await host?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });
  const running: RunningHost = {
    get host() { if (!host) throw new Error('the host is not started yet'); return host; },
    get home() { if (!home) throw new Error('the host is not started yet'); return home; },
    async post(p, body, headers = {}) {
      const res = await fetch(running.host.url + p, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
      const text = await res.text();
      let json: unknown = text;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, json };
    },
    async postJson(p, body, headers = {}) {
      return (await running.post(p, body, headers)).json;
    },
    async find(coll, where) {
      return (await running.host.db.collection(coll).where(where).limit(100).get()).data as any[];
    },
  };
  return running;
}

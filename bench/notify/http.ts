/** A small keep-alive HTTP client for the fault drivers: POST a body, get status and text back; never throws. */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

export interface Reply { status: number; body: string; error?: string }

/**
 * POSTs again when a kept-alive socket turns out closed under the request (ECONNRESET / socket hang up: the
 * server closed an idle pooled socket - after a pause several may be stale at once); other failures are
 * returned as status 0.
 */
export async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<Reply> {
  let reply = await postOnce(url, body, headers, timeoutMs);
  for (let again = 0; again < 8 && reply.status === 0 && /ECONNRESET|socket hang up/.test(reply.error ?? ''); again++) {
    reply = await postOnce(url, body, headers, timeoutMs);
  }
  return reply;
}

function postOnce(url: string, body: string | Buffer, headers: Record<string, string>, timeoutMs: number): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: 'POST', agent, timeout: timeoutMs,
      headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ status: 0, body: '', error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', error: err.message }));
    req.end(body);
  });
}

export const postJson = (url: string, value: unknown, headers: Record<string, string> = {}) =>
  post(url, JSON.stringify(value), { 'content-type': 'application/json', ...headers });

/** Runs `work` over the items, `concurrency` at a time. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
    }
  }));
}

export function shuffle<T>(items: T[], random: () => number = Math.random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

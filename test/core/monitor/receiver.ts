/** A real webhook receiver on port 0: records every POST; `answer` decides the reply per path. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit { path: string; query: URLSearchParams; headers: http.IncomingHttpHeaders; body: any; raw: string }

export async function startReceiver(answer: (path: string) => { status: number; body: unknown } = (p) => ({ status: 200, body: p.startsWith('/generic') ? { ok: true } : { errcode: 0, errmsg: 'ok' } })) {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try { body = JSON.parse(raw); } catch { /* kept as text */ }
      hits.push({ path: url.pathname, query: url.searchParams, headers: req.headers, body, raw });
      const out = answer(url.pathname);
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base, hits,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

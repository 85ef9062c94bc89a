/**
 * Test fixture: a real node:http server on port 0 that answers like a gateway, driven by a per-test handler.
 * It records every request exactly as received (path+query, headers, raw body) so tests can check signatures
 * over the bytes that crossed the wire. This is a fixture for unit tests, not the sandbox.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';

export interface SeenRequest {
  method: string;
  /** path + query exactly as received */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface FixtureAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type FixtureHandler = (req: SeenRequest) => FixtureAnswer | Promise<FixtureAnswer>;

export interface Fixture {
  origin: string;
  seen: SeenRequest[];
  handle: (h: FixtureHandler) => void;
  close: () => Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFixture(): Promise<Fixture> {
  let handler: FixtureHandler = () => ({ status: 500, body: 'no handler' });
  const seen: SeenRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const r: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers, body };
    seen.push(r);
    try {
      const a = await handler(r);
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    } catch (err) {
      res.writeHead(599);
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    handle: (h) => { handler = h; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export function rsaPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** A port nothing listens on (bound then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

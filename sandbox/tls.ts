/**
 * Mutual TLS for the sandbox's WeChat Pay v2 /secapi/ calls (refunds), as WeChat serves them: the server asks for
 * the merchant's API client certificate and completes the handshake only with one issued for this merchant
 * (subject CN = the mchId) by the sandbox's CA. Made once per VKPAY_HOME into `sandbox/tls.json` (mode 0600) with
 * the openssl CLI: a CA, a server certificate for 127.0.0.1 / localhost, and the merchant's client certificate as
 * a PEM pair and as `apiclient_cert.p12` (base64) whose passphrase is the mchId, like WeChat's download.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface SandboxTls {
  mchId: string;
  caPem: string;
  serverKeyPem: string;
  serverCertPem: string;
  clientKeyPem: string;
  clientCertPem: string;
  /** apiclient_cert.p12, base64; passphrase = mchId */
  clientP12: string;
}

function makeTls(mchId: string): SandboxTls {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vkpay-sandbox-tls-'));
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '3650', '-subj', '/CN=vk-pay sandbox CA');
    writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
    ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', '2', '-days', '3650', '-extfile', f('server.ext'), '-out', f('server.pem'));
    writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', `/CN=${mchId}/O=vk-pay sandbox merchant`);
    ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', '3', '-days', '3650', '-extfile', f('client.ext'), '-out', f('client.pem'));
    ssl('pkcs12', '-export', '-inkey', f('client.key'), '-in', f('client.pem'), '-out', f('client.p12'), '-passout', `pass:${mchId}`, '-name', 'Tenpay Certificate');
    const read = (n: string) => readFileSync(f(n), 'utf8');
    return {
      mchId, caPem: read('ca.pem'), serverKeyPem: read('server.key'), serverCertPem: read('server.pem'),
      clientKeyPem: read('client.key'), clientCertPem: read('client.pem'), clientP12: readFileSync(f('client.p12')).toString('base64'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The sandbox's TLS material for this home and merchant: read when present, else made and kept. */
export async function ensureSandboxTls(home: string, mchId: string): Promise<SandboxTls> {
  const file = path.join(home, 'sandbox', 'tls.json');
  try {
    const kept = JSON.parse(await fs.readFile(file, 'utf8')) as SandboxTls;
    if (kept.mchId === mchId && kept.clientP12 && kept.serverCertPem) return kept;
  } catch { /* absent or damaged: make it */ }
  const made = makeTls(mchId);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(made, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
  return made;
}

/** node:https server options: the client must present a certificate the sandbox CA issued, or no handshake. */
export function tlsServerOptions(t: SandboxTls) {
  return { key: t.serverKeyPem, cert: t.serverCertPem, ca: t.caPem, requestCert: true, rejectUnauthorized: true };
}

/** The merchant whose verified client certificate carried this request (subject CN), or undefined. */
export function clientCertMerchant(req: IncomingMessage): string | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.encrypted || !socket.authorized || typeof socket.getPeerCertificate !== 'function') return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return typeof cn === 'string' ? cn : undefined;
}

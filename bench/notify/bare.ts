/**
 * The floor the notify benchmarks compare against: a server that only verifies and decrypts a notification
 * (nothing stored, nothing looked up) and answers the channel's success reply. Written directly on node:crypto
 * with keys parsed once, so it is the cheapest honest handling of the same bytes:
 *   WeChat v3: SHA256withRSA over "timestamp\nnonce\nbody\n", the 300 s window, AES-256-GCM of the resource;
 *   Alipay:    RSA2 over the sorted non-empty parameters without sign/sign_type.
 */
import { createDecipheriv, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { SandboxCredentials } from '../../sandbox/credentials';
import type { BenchChannel } from './genuine';

export interface BareVerifier {
  /** true when the notification verifies (and, for v3, decrypts to a JSON object) */
  verify(channel: BenchChannel, headers: Record<string, string>, body: string): boolean;
}

export function createBareVerifier(creds: SandboxCredentials): BareVerifier {
  const wxKey: KeyObject = createPublicKey(creds.wxpay.platform.publicKeyPem);
  const aliKey: KeyObject = createPublicKey(creds.alipay.alipay.publicKeyPem);
  const v3Key = Buffer.from(creds.wxpay.apiV3Key, 'utf8');

  const v3 = (headers: Record<string, string>, body: string): boolean => {
    const ts = headers['wechatpay-timestamp'];
    const nonce = headers['wechatpay-nonce'];
    const sig = headers['wechatpay-signature'];
    if (!ts || !nonce || !sig || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
    const ok = createVerify('RSA-SHA256').update(`${ts}\n${nonce}\n${body}\n`).verify(wxKey, sig, 'base64');
    if (!ok) return false;
    const r = (JSON.parse(body) as { resource: { ciphertext: string; nonce: string; associated_data: string } }).resource;
    const data = Buffer.from(r.ciphertext, 'base64');
    const d = createDecipheriv('aes-256-gcm', v3Key, Buffer.from(r.nonce, 'utf8'));
    d.setAAD(Buffer.from(r.associated_data, 'utf8'));
    d.setAuthTag(data.subarray(data.length - 16));
    const plain = Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString('utf8');
    return typeof JSON.parse(plain) === 'object';
  };

  const alipay = (body: string): boolean => {
    const params = new URLSearchParams(body);
    const sign = params.get('sign');
    if (!sign) return false;
    const content = [...params.entries()]
      .filter(([k, v]) => k !== 'sign' && k !== 'sign_type' && v !== '')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    return createVerify('RSA-SHA256').update(content).verify(aliKey, sign, 'base64');
  };

  return {
    verify(channel, headers, body) {
      try {
        if (channel === 'wxpay') return v3(headers, body);
        if (channel === 'alipay') return alipay(body);
        return false;
      } catch {
        return false;
      }
    },
  };
}

const REPLIES: Record<string, { ok: [number, string]; fail: [number, string] }> = {
  wxpay: { ok: [200, '{"code":"SUCCESS","message":"成功"}'], fail: [500, '{"code":"FAIL","message":"失败"}'] },
  alipay: { ok: [200, 'success'], fail: [500, 'fail'] },
};

/** The bare server on 127.0.0.1: POST /<anything>/<channel> -> verify -> the channel's reply. */
export async function startBareServer(creds: SandboxCredentials): Promise<{ url: string; close(): Promise<void> }> {
  const verifier = createBareVerifier(creds);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const channel = (req.url ?? '').split('/').filter(Boolean).pop() as BenchChannel;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const reply = REPLIES[channel] ?? REPLIES.alipay;
      const [status, body] = verifier.verify(channel, headers, Buffer.concat(chunks).toString('utf8')) ? reply.ok : reply.fail;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

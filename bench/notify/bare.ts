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

/** What a verified "paid" notification says, read as cheaply as the verification allows. */
export interface PaidRead { out_trade_no: string; transaction_id: string; amount: number; event_id: string; raw: Record<string, unknown> }

export interface BareVerifier {
  /** true when the notification verifies (and, for v3, decrypts to a JSON object) */
  verify(channel: BenchChannel, headers: Record<string, string>, body: string): boolean;
  /** the paid facts of a notification that verifies; null otherwise (the floor servers of floor.ts store them) */
  read(channel: BenchChannel, headers: Record<string, string>, body: string): PaidRead | null;
}

export function createBareVerifier(creds: SandboxCredentials): BareVerifier {
  const wxKey: KeyObject = createPublicKey(creds.wxpay.platform.publicKeyPem);
  const aliKey: KeyObject = createPublicKey(creds.alipay.alipay.publicKeyPem);
  const v3Key = Buffer.from(creds.wxpay.apiV3Key, 'utf8');

  const v3 = (headers: Record<string, string>, body: string): PaidRead | null => {
    const ts = headers['wechatpay-timestamp'];
    const nonce = headers['wechatpay-nonce'];
    const sig = headers['wechatpay-signature'];
    if (!ts || !nonce || !sig || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return null;
    const ok = createVerify('RSA-SHA256').update(`${ts}\n${nonce}\n${body}\n`).verify(wxKey, sig, 'base64');
    if (!ok) return null;
    const n = JSON.parse(body) as { id: string; resource: { ciphertext: string; nonce: string; associated_data: string } };
    const r = n.resource;
    const data = Buffer.from(r.ciphertext, 'base64');
    const d = createDecipheriv('aes-256-gcm', v3Key, Buffer.from(r.nonce, 'utf8'));
    d.setAAD(Buffer.from(r.associated_data, 'utf8'));
    d.setAuthTag(data.subarray(data.length - 16));
    const plain = Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]).toString('utf8');
    const t = JSON.parse(plain) as { out_trade_no: string; transaction_id: string; amount: { total: number } };
    if (typeof t !== 'object' || t === null) return null;
    return { out_trade_no: t.out_trade_no, transaction_id: t.transaction_id, amount: t.amount?.total, event_id: n.id, raw: t };
  };

  const alipay = (body: string): URLSearchParams | null => {
    const params = new URLSearchParams(body);
    const sign = params.get('sign');
    if (!sign) return null;
    const content = [...params.entries()]
      .filter(([k, v]) => k !== 'sign' && k !== 'sign_type' && v !== '')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    return createVerify('RSA-SHA256').update(content).verify(aliKey, sign, 'base64') ? params : null;
  };

  const safely = <T>(fn: () => T | null): T | null => {
    try {
      return fn();
    } catch {
      return null;
    }
  };
  return {
    // The baseline does no more than verify (and decrypt): the fields are read only by read().
    verify: (channel, headers, body) => safely(() => (channel === 'wxpay' ? v3(headers, body) : channel === 'alipay' ? alipay(body) : null)) !== null,
    read: (channel, headers, body) => safely(() => {
      if (channel === 'wxpay') return v3(headers, body);
      const params = channel === 'alipay' ? alipay(body) : null;
      if (!params) return null;
      const raw = Object.fromEntries(params);
      return { out_trade_no: raw.out_trade_no, transaction_id: raw.trade_no, amount: Math.round(Number(raw.total_amount) * 100), event_id: raw.notify_id, raw };
    }),
  };
}

const REPLIES: Record<string, { ok: [number, string]; fail: [number, string] }> = {
  wxpay: { ok: [200, '{"code":"SUCCESS","message":"成功"}'], fail: [500, '{"code":"FAIL","message":"失败"}'] },
  alipay: { ok: [200, 'success'], fail: [500, 'fail'] },
};

/** The bare server on 127.0.0.1: POST /<anything>/<channel> -> verify -> the channel's reply. */
export function startBareServer(creds: SandboxCredentials): Promise<NotifyServer> {
  const verifier = createBareVerifier(creds);
  return serveNotifications((channel, headers, body) => verifier.verify(channel, headers, body));
}

export interface NotifyServer { url: string; close(): Promise<void> }

/**
 * A loopback server that hands each POSTed notification to `accept` and answers the channel's success reply when
 * it says true, the retry reply otherwise: the HTTP part the bare server and the floor servers (floor.ts) share,
 * so that they differ only in what `accept` does.
 */
export async function serveNotifications(accept: (channel: BenchChannel, headers: Record<string, string>, body: string) => boolean | Promise<boolean>): Promise<NotifyServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const channel = (req.url ?? '').split('/').filter(Boolean).pop() as BenchChannel;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const reply = REPLIES[channel] ?? REPLIES.alipay;
      let ok: boolean;
      try {
        const r = accept(channel, headers, Buffer.concat(chunks).toString('utf8'));
        ok = typeof r === 'boolean' ? r : await r;
      } catch {
        ok = false;
      }
      const [status, body] = ok ? reply.ok : reply.fail;
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

/**
 * Test harness for the sandbox: a real node:http server on port 0 with a fresh home, a merchant-side receiver
 * for notifications, and minimal signed clients for each protocol (built on the providers' signing builders;
 * the interop suite checks the same wire against third-party SDKs).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createSandbox, tlsServerOptions, type Sandbox, type SandboxOptions, type SandboxTls } from '../../sandbox/index';
import https from 'node:https';
import { credentialsPath, generateSandboxCredentials, type SandboxCredentials } from '../../sandbox/credentials';
import { buildFlatXml, parseFlatXml } from '../../sandbox/protocol/xml';
import { createNonce, signV3Request } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import { signV2, type V2SignType } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/signing';
import { formatAlipayTimestamp, signAlipayParams } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';

export interface RunningSandbox {
  base: string;
  /** with requireClientCert: the https listener of v2 /secapi/ calls and the sandbox's TLS material */
  secure?: { base: string; tls: SandboxTls };
  home: string;
  sandbox: Sandbox;
  creds: SandboxCredentials;
  close(opts?: { keepHome?: boolean }): Promise<void>;
}

/** RSA key generation dominates start-up; one set per test file is shared by every fresh home. */
let sharedCreds: Promise<SandboxCredentials> | undefined;

export async function startSandbox(opts: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  let home = opts.home;
  if (!home) {
    home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-sandbox-'));
    sharedCreds ??= generateSandboxCredentials();
    await mkdir(path.dirname(credentialsPath(home)), { recursive: true });
    await writeFile(credentialsPath(home), JSON.stringify(await sharedCreds), { mode: 0o600 });
  }
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sandbox = await createSandbox({ timeFactor: 0.001, ...opts, home, publicBaseUrl: base });
  const serve = (req: http.IncomingMessage, res: http.ServerResponse) => {
    void sandbox.handle(req, res).then((handled) => {
      if (!handled) { res.writeHead(404); res.end('not sandbox'); }
    });
  };
  server.on('request', serve);
  let secure: RunningSandbox['secure'];
  let secureServer: https.Server | undefined;
  if (opts.requireClientCert) {
    const tls = await sandbox.tls();
    secureServer = https.createServer(tlsServerOptions(tls), serve);
    await new Promise<void>((resolve) => secureServer!.listen(0, '127.0.0.1', resolve));
    secure = { base: `https://127.0.0.1:${(secureServer.address() as AddressInfo).port}`, tls };
  }
  const dir = home;
  return {
    base, home: dir, sandbox, creds: sandbox.credentials, secure,
    async close({ keepHome = false } = {}) {
      await sandbox.close();
      if (secureServer) {
        secureServer.closeAllConnections();
        await new Promise<void>((resolve) => secureServer!.close(() => resolve()));
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!keepHome) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Received {
  /** path + query as received (WeChat message pushes sign in the query) */
  url: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** A merchant notify endpoint: records every POST and answers with `reply` (default: the channel's success). */
export async function startReceiver(reply: (r: Received, index: number) => { status: number; body?: string }) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const r = { url: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(r);
      const out = reply(r, received.length - 1);
      res.writeHead(out.status, { 'content-type': 'text/plain' });
      res.end(out.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
  return {
    url, received,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export const V2_SUCCESS = '<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  json(): any;
}

async function toRaw(res: Response): Promise<RawResponse> {
  const text = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => { headers[k] = v; });
  return { status: res.status, headers, text, json: () => JSON.parse(text) };
}

/** A WeChat v3 call signed over the full path it sends; `tamper` lets a test break one part of it. */
export async function v3Call(
  s: RunningSandbox, method: 'GET' | 'POST', apiPath: string, body?: unknown,
  tamper: { signPath?: string; key?: string; bodyAfterSigning?: string; timestamp?: number } = {},
): Promise<RawResponse> {
  const pathWithQuery = `/sandbox/wxpay${apiPath}`;
  const text = body === undefined ? '' : JSON.stringify(body);
  const authorization = signV3Request({
    method, pathWithQuery: tamper.signPath ?? pathWithQuery, body: text, mchid: s.creds.wxpay.mchId,
    serialNo: s.creds.wxpay.merchant.serialNo, privateKey: tamper.key ?? s.creds.wxpay.merchant.privateKeyPem,
    timestamp: tamper.timestamp ?? Math.floor(Date.now() / 1000), nonce: createNonce(),
  });
  const res = await fetch(`${s.base}${pathWithQuery}`, {
    method, headers: { authorization, accept: 'application/json', 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : (tamper.bodyAfterSigning ?? text),
  });
  return toRaw(res);
}

export async function v2Call(
  s: RunningSandbox, apiPath: string, params: Record<string, string | number>, signType: V2SignType = 'MD5', key?: string,
): Promise<Record<string, string>> {
  const all: Record<string, string | number> = { appid: s.creds.wxpay.appId, mch_id: s.creds.wxpay.mchId, nonce_str: createNonce(), ...params };
  if (signType !== 'MD5') all.sign_type = signType;
  all.sign = signV2(all, key ?? s.creds.wxpay.apiV2Key, signType);
  const res = await fetch(`${s.base}/sandbox/wxpay${apiPath}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: buildFlatXml(all) });
  const parsed = parseFlatXml(await res.text());
  if (!parsed) throw new TypeError('v2 answer is not flat XML');
  return parsed;
}

/** An Alipay gateway call as alipay-sdk sends it: common params in the query, biz_content in the form body. */
export async function alipayCall(
  s: RunningSandbox, method: string, biz: Record<string, unknown>, opts: { key?: string; extra?: Record<string, string>; breakSign?: boolean } = {},
): Promise<RawResponse> {
  const common: Record<string, string> = {
    app_id: s.creds.alipay.appId, method, charset: 'utf-8', sign_type: 'RSA2', timestamp: formatAlipayTimestamp(Date.now()), version: '1.0',
    ...opts.extra,
  };
  const bizContent = JSON.stringify(biz);
  common.sign = signAlipayParams({ ...common, biz_content: bizContent }, opts.key ?? s.creds.alipay.app.privateKeyPem);
  if (opts.breakSign) common.sign = common.sign.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
  const res = await fetch(`${s.base}/sandbox/alipay/gateway.do?${new URLSearchParams(common)}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: new URLSearchParams({ biz_content: bizContent }).toString(), redirect: 'manual',
  });
  return toRaw(res);
}

export async function control(s: RunningSandbox, action: string, body: unknown): Promise<RawResponse> {
  const res = await fetch(`${s.base}/sandbox/control/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return toRaw(res);
}

let counter = 0;
export function tradeNo(prefix = 'T'): string {
  counter += 1;
  return `${prefix}${Date.now()}${process.pid}${counter}`.slice(0, 32);
}

/** Polls until `check` returns true (false after `timeoutMs`). */
export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/**
 * The core wired to the REAL sandbox and the REAL providers over HTTP: one node:http server on port 0 serves the
 * sandbox gateways (/sandbox/**) and the notify route (/http/vk-pay-notify/<channel>) that hands notifications
 * to `core.notify`, exactly as the local host does. Every notification received is recorded so tests can replay
 * or tamper with it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { appleiapSandboxSection } from '../../../sandbox/appleiap/config-section';
import { certModeSections, createSandbox, tlsServerOptions, type KeyModes, type Sandbox, type SandboxTls } from '../../../sandbox/index';
import { forgetPlatformCertificates } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/platform-cert-store';
import { forgetAlipayCertificates } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/cert-store';
import https from 'node:https';
import { ensureSandboxTls } from '../../../sandbox/tls';
import { credentialsPath, generateSandboxCredentials, type SandboxCredentials } from '../../../sandbox/credentials';
import { parseConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import type { VkPayConfigInput } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/schema';
import { createCoreServices, type CoreDeps, type VkPayCore } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/core-services';
import type { CloudRequest } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/entry/services';
import type { Channel, IncomingNotification } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
import { uniIdAuth } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/auth/adapters';
import { HOOKS_DIR, openTestDb, type TestDb } from './db';
import { testUniId } from './uni-id';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
/** The harness's uni-id: real HS256 tokens, verified by the core through uniIdAuth as on a real space. */
export const HARNESS_UNI_ID = testUniId();
/** A uni-id token for `uid` (what the client sends as `uni-id-token`). */
export const tokenFor = (uid: string, roles: string[] = []) => HARNESS_UNI_ID.tokenFor(uid, roles);

/** The request uniCloud hands the cloud object for a URL-ized call, as a user (token) or the admin (bearer). */
export async function cloudRequest(method: string, as: { uid?: string; roles?: string[]; admin?: boolean } = {}, body = ''): Promise<CloudRequest> {
  const headers: Record<string, string> = {};
  if (as.uid) headers['uni-id-token'] = await tokenFor(as.uid, as.roles);
  if (as.admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  return {
    method,
    clientInfo: { clientIP: '127.0.0.1', userAgent: 'vitest', platform: 'h5', source: 'http', requestId: 'test' },
    httpInfo: { path: `/${method}`, httpMethod: 'POST', headers, queryStringParameters: {}, body, isBase64Encoded: false },
  };
}

let sharedCreds: Promise<SandboxCredentials> | undefined;

export interface Received { channel: Channel; req: IncomingNotification; status: number }

export interface Harness {
  base: string;
  core: VkPayCore;
  sandbox: Sandbox;
  creds: SandboxCredentials;
  t: TestDb;
  received: Received[];
  /** the mutual-TLS listener of the sandbox (requireClientCert) */
  secure?: SecureSandbox;
  /** calls a cloud-object method as a user (uni-id token) or as the admin (bearer token) */
  call<T = any>(method: string, params: Record<string, unknown>, as?: { uid?: string; roles?: string[]; admin?: boolean }): Promise<T>;
  /** delivers a notification straight to the core (what the notify route does) */
  notify(channel: Channel, req: IncomingNotification): Promise<{ statusCode: number; body: string }>;
  close(): Promise<void>;
}

export function baseConfig(base: string, creds: SandboxCredentials, over: Partial<VkPayConfigInput> = {}, secure?: SecureSandbox): VkPayConfigInput {
  const v2Cert = secure ? { secapiBaseUrl: `${secure.base}/sandbox/wxpay/`, caPem: secure.tls.caPem, clientKeyPem: secure.tls.clientKeyPem, clientCertPem: secure.tls.clientCertPem } : {};
  return {
    env: 'sandbox',
    notifyUrl: `${base}/http/vk-pay-notify`,
    providers: {
      wxpay: { ...creds.wxpay, baseUrl: `${base}/sandbox/wxpay/`, wxapiBaseUrl: `${base}/sandbox/wxapi/`, oauthAuthorizeUrl: `${base}/sandbox/wxopen/connect/oauth2/authorize` },
      'wxpay-v2': { appId: creds.wxpay.appId, mchId: creds.wxpay.mchId, apiV2Key: creds.wxpay.apiV2Key, appSecret: creds.wxpay.appSecret, baseUrl: `${base}/sandbox/wxpay/`, wxapiBaseUrl: `${base}/sandbox/wxapi/`, ...v2Cert },
      alipay: { ...creds.alipay, gatewayUrl: `${base}/sandbox/alipay/gateway.do` },
    },
    orderTypes: {
      recharge: { amount: 'client', min: 1, max: 500_000 },
      goods: { amount: 'catalog', catalog: { cup: { amount: 1990, subject: 'Demo mug' } } },
      vip: { amount: 'catalog', catalog: { month: { amount: 1500, subject: 'VIP month' } } },
      custom: { amount: 'custom', resolve: ({ goods_id }: { goods_id?: string }) => ({ amount: goods_id === 'big' ? 9999 : 100, subject: `custom ${goods_id ?? ''}` }) },
    },
    adminToken: ADMIN_TOKEN,
    auth: uniIdAuth({ uniIdCommon: HARNESS_UNI_ID.uniIdCommon }),
    rateLimit: { perMinute: 1000 },
    awaitNotifyMs: 2000,
    ...over,
  };
}

/** Config overrides; a function gets the gateway origin and the sandbox's credentials (to name its apps and keys). */
export type HarnessConfig = Partial<VkPayConfigInput> | ((base: string, creds: SandboxCredentials, secure?: SecureSandbox) => Partial<VkPayConfigInput>);

/** The sandbox's mutual-TLS listener (v2 /secapi/), when the harness runs one. */
export interface SecureSandbox { base: string; tls: SandboxTls }

let sharedTls: Promise<SandboxTls> | undefined;

/**
 * `appleiap`: also configure the App Store against the sandbox's (its root, Server API key and shared secret),
 * beside the other providers; an object is merged over that section.
 * `now`: one clock for the sandbox and the core (a test that moves time moves both, as real time would).
 * `requireClientCert` (default true): the sandbox's v2 /secapi/ only over mutual TLS, as WeChat.
 * `keyModes`: the sandbox merchants' key modes (WeChat `platform-cert`, Alipay `cert`); the config follows them
 * (no WeChat Pay public key but `platformCertificates`; Alipay's three certificates instead of its public key).
 */
export async function startHarness(opts: { config?: HarnessConfig; deps?: Partial<CoreDeps>; wxpayChannel?: 'wxpay' | 'wxpay-v2'; requireClientCert?: boolean; now?: () => number; appleiap?: boolean | Record<string, unknown>; keyModes?: KeyModes } = {}): Promise<Harness> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-core-home-'));
  sharedCreds ??= generateSandboxCredentials();
  await mkdir(path.dirname(credentialsPath(home)), { recursive: true });
  await writeFile(credentialsPath(home), JSON.stringify(await sharedCreds), { mode: 0o600 });
  // v2 refunds go over mutual TLS as on WeChat: the sandbox's certificates, made once per test file
  sharedTls ??= (async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'vkpay-core-tls-'));
    try { return await ensureSandboxTls(tmp, (await sharedCreds!).wxpay.mchId); } finally { await rm(tmp, { recursive: true, force: true }); }
  })();
  await writeFile(path.join(home, 'sandbox', 'tls.json'), JSON.stringify(await sharedTls), { mode: 0o600 });

  const received: Received[] = [];
  let core: VkPayCore | undefined;
  let sandbox: Sandbox | undefined;
  const server = http.createServer((req, res) => {
    void (async () => {
      if (sandbox && (await sandbox.handle(req, res))) return;
      const url = new URL(req.url ?? '/', 'http://harness.local');
      const m = /^\/http\/vk-pay-notify\/([a-z0-9-]+)$/.exec(url.pathname);
      if (!m || !core) { res.writeHead(404); res.end(); return; }
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
      // the query too: WeChat message pushes (virtual payment) are signed in it
      const incoming = { headers, rawBody: Buffer.concat(chunks).toString('utf8'), query: Object.fromEntries(url.searchParams) };
      const reply = await core.notify(m[1] as Channel, incoming);
      received.push({ channel: m[1] as Channel, req: incoming, status: reply.statusCode });
      res.writeHead(reply.statusCode, reply.headers);
      res.end(reply.body);
    })().catch((err) => { res.writeHead(500); res.end(String(err)); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const requireClientCert = opts.requireClientCert ?? true;
  sandbox = await createSandbox({ home, publicBaseUrl: base, timeFactor: 0.001, persist: false, requireClientCert, keyModes: opts.keyModes, ...(opts.now ? { now: opts.now } : {}) });
  // platform certificates are held per merchant in the process: a new sandbox may reuse an old one's address
  forgetPlatformCertificates();
  forgetAlipayCertificates();
  let secure: SecureSandbox | undefined;
  let secureServer: https.Server | undefined;
  if (requireClientCert) {
    const tls = await sandbox.tls();
    const sb0 = sandbox;
    secureServer = https.createServer(tlsServerOptions(tls), (req, res) => {
      void sb0.handle(req, res).then((handled) => { if (!handled) { res.writeHead(404); res.end(); } });
    });
    await new Promise<void>((resolve) => secureServer!.listen(0, '127.0.0.1', resolve));
    secure = { base: `https://127.0.0.1:${(secureServer.address() as AddressInfo).port}`, tls };
  }
  const t = await openTestDb();
  const over = typeof opts.config === 'function' ? opts.config(base, sandbox.credentials, secure) : opts.config;
  const input = baseConfig(base, sandbox.credentials, { wxpayChannel: opts.wxpayChannel ?? 'wxpay', ...over }, secure);
  const modeSections = await certModeSections(sandbox.certModes);
  const providers = input.providers as Record<string, Record<string, unknown>>;
  if (modeSections.wxpay) providers.wxpay = { ...providers.wxpay, ...modeSections.wxpay };
  if (modeSections.alipay) providers.alipay = { ...providers.alipay, alipay: undefined, ...modeSections.alipay };
  if (opts.appleiap) {
    const apple = typeof opts.appleiap === 'object' ? opts.appleiap : {};
    input.providers = { ...input.providers, appleiap: { ...appleiapSandboxSection(base, sandbox.appleCredentials), ...apple } };
  }
  const config = parseConfig(input);
  core = createCoreServices({ dao: t.dao, db: t.db, config, hooks: { dir: HOOKS_DIR }, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))), ...(opts.now ? { now: opts.now } : {}), ...opts.deps });
  const sb = sandbox;
  const c = core;

  return {
    base, core: c, sandbox: sb, creds: sb.credentials, t, received, secure,
    async call(method, params, as = {}) {
      const req = await cloudRequest(method, as, JSON.stringify(params));
      const fn = c.methods[method];
      if (!fn) throw new Error(`no method ${method}`);
      return fn(params, req) as Promise<any>;
    },
    notify: (channel, req) => c.notify(channel, req),
    async close() {
      await sb.close();
      if (secureServer) {
        secureServer.closeAllConnections();
        await new Promise<void>((resolve) => secureServer!.close(() => resolve()));
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** One run of the real timer (sync/) that treats every pending order and processing refund as due now. */
export async function timerNow(h: Harness): Promise<Record<string, unknown>> {
  const { createSyncTimerForCore } = await import('../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync/for-core');
  const timer = createSyncTimerForCore(h.core.ctx, { settings: { staleMs: 0, refundStaleMs: 0, recheckMs: 0, closedRecheckMs: 0 } });
  return { ...(await timer.runSync()) };
}

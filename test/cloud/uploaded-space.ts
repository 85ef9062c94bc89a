/**
 * A uniCloud space for the uploaded functions, one per Node runtime: the local host's real database, the sandbox
 * gateways (WeChat Pay / Alipay speaking the real protocols) and a loopback HTTP server that stands where the
 * space's URL-ized paths and the providers' hosts are:
 *   /sandbox/**            the sandbox (the functions' config points the providers' base URLs here)
 *   /http/vk-pay-notify/*  the uploaded vk-pay-notify, run per delivery on the space's Node (the sandbox's
 *                          notifier posts here, as the providers post to the URL-ized function)
 * Every function call is a fresh child process of that Node (uploaded-runner.ts).
 */
import http from 'node:http';
import path from 'node:path';
import { ensureAdminToken, ensureUniIdTokenSecret } from '../../local/admin-token';
import { openLocalDatabase, type LocalDatabase } from '../../local/db';
import { lowerCaseHeaders, readBody, sendFunctionResult, sendJson } from '../../local/server/http-io';
import { createSandbox, type Sandbox } from '../../sandbox';
import { DATABASE_DIR, type FunctionName, type UploadLayout } from './upload-layout';
import { runUploaded, type HarnessMode, type UploadedResult } from './uploaded-runner';

export interface UploadedSpace {
  url: string;
  home: string;
  db: LocalDatabase;
  sandbox: Sandbox;
  /** one call of an uploaded function on the space's Node */
  call(fn: FunctionName, mode: HarnessMode, payload: unknown): Promise<UploadedResult>;
  /** notify calls the sandbox's deliveries made, with what the function answered */
  deliveries: { path: string; status: number; node: string }[];
  close(): Promise<void>;
}

const NOTIFY_PREFIX = '/http/vk-pay-notify';

function isText(buf: Buffer): boolean {
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

export async function openUploadedSpace(opts: { layout: UploadLayout; node: string; home: string }): Promise<UploadedSpace> {
  const { layout, node, home } = opts;
  ensureUniIdTokenSecret(home);
  ensureAdminToken(home);
  const db = await openLocalDatabase({ path: path.join(home, 'db'), indexDir: DATABASE_DIR });
  const deliveries: UploadedSpace['deliveries'] = [];
  let url = '';
  let sandbox: Sandbox | undefined;

  const call = (fn: FunctionName, mode: HarnessMode, payload: unknown) => runUploaded({
    node, harness: layout.harness, fnDir: layout.functionDir(fn), mode, payload, db, cwd: layout.workDir,
    // what the demo's uni-config-center configs read (sandbox credentials, uni-id secret, public URL); no PATH,
    // no NODE_PATH: the function resolves modules from its own folder only
    env: { HOME: layout.workDir, TZ: 'UTC', VKPAY_HOME: home, VKPAY_PUBLIC_URL: url },
  });

  const notify = async (req: http.IncomingMessage, res: http.ServerResponse, target: URL) => {
    const body = await readBody(req);
    if (!body.ok) return sendJson(res, 413, { error: body.reason });
    const text = isText(body.body);
    // uniCloud's integrated request for a URL-ized function (the same shape the local host builds)
    const event = {
      path: target.pathname.slice(NOTIFY_PREFIX.length) || '/',
      httpMethod: (req.method ?? 'POST').toUpperCase(),
      headers: lowerCaseHeaders(req),
      queryStringParameters: Object.fromEntries(target.searchParams.entries()),
      body: text ? body.body.toString('utf8') : body.body.toString('base64'),
      isBase64Encoded: !text,
    };
    const out = await call('vk-pay-notify', 'notify', { event });
    deliveries.push({ path: event.path, status: out.result?.statusCode ?? 200, node: out.node });
    sendFunctionResult(res, out.result);
  };

  const server = http.createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://space.local');
    const work = async () => {
      if (sandbox && (await sandbox.handle(req, res))) return;
      if (target.pathname === NOTIFY_PREFIX || target.pathname.startsWith(`${NOTIFY_PREFIX}/`)) return notify(req, res, target);
      sendJson(res, 404, { error: `nothing at ${target.pathname}` });
    };
    work().catch((err) => {
      console.error('[uploaded space]', err);
      if (!res.headersSent) sendJson(res, 500, { error: String(err?.message ?? err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    // deliveries wait for a cold start of the function on an old Node on a busy machine: more than WeChat's 5 s
    sandbox = await createSandbox({ home, publicBaseUrl: url, persist: false, deliveryTimeoutMs: 20_000 });
  } catch (err) {
    server.close();
    await db.close();
    throw err;
  }
  const space: UploadedSpace = {
    url, home, db, sandbox, call, deliveries,
    async close() {
      await sandbox?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.close();
    },
  };
  return space;
}

/**
 * The local uniCloud host: runs the BUILT cloud functions (uniCloud/cloudfunctions/*) as uniCloud runs them,
 * with the embedded database, the sandbox gateways and the H5 build, over one HTTP server.
 *
 *   const host = await startHost({ port: 0, home: tmpDir, quiet: true });
 *   await fetch(`${host.url}/http/vk-pay-co/getPayOptions`, { method: 'POST', body: '{}' });
 *   await host.runTimer('vk-pay-sync');
 *   await host.close();
 *
 * Data lives under `home` (`${VKPAY_HOME:-.vkpay}`): `db/`, `admin-token`, `sandbox/credentials.json`.
 * The cloud code reads `process.env.VKPAY_HOME` and `process.env.VKPAY_PUBLIC_URL` (set while the host runs)
 * to find them: with several hosts in one process, the config follows the newest one still running, while
 * `uniCloud.database()` always answers the database of the host serving the call.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureAdminToken, ensureUniIdTokenSecret } from './admin-token';
import { openLocalDatabase, type LocalDatabase } from './db';
import { createSandboxIfPresent, ensureSandboxCredentialsIfPresent, type SandboxInstance } from './optional-parts';
import { H5_DIST_DIR, REPO_ROOT, databaseDirs, findCommonModule } from './paths';
import { loadFunctions, type LoadedFunction } from './runtime/functions';
import { invokeTimer } from './runtime/invoke';
import { scheduleTimers, timerTriggerOf } from './runtime/timers';
import { attachHost, loadingFor, type HostContext } from './runtime/unicloud-global';
import { issueToken, provideLocalUniIdCommon } from './runtime/uni-id';
import { createRouter } from './server/router';
import { envelopeOf, sendJson } from './server/http-io';

export interface StartHostOptions {
  /** default `$PORT` or 8787; 0 picks a free port */
  port?: number;
  /** default `$VKPAY_HOME` or `<repo>/.vkpay` */
  home?: string;
  /** no request or timer logs */
  quiet?: boolean;
  /** schedule the functions' cron triggers (default true); `runTimer` works either way */
  timers?: boolean;
  /**
   * The uni-app project whose cloud code runs (its `uniCloud/` and `uni_modules/<plugin>/uniCloud/`); default this
   * repository's demo. Another project brings its own built vk-pay (from `npm run pack`).
   */
  projectDir?: string;
  /** the H5 build served at `/` (default the demo's `dist/build/h5`) */
  h5Dir?: string;
}

export interface Host {
  url: string;
  port: number;
  home: string;
  db: LocalDatabase;
  adminToken: string;
  runTimer(fn: string): Promise<unknown>;
  close(): Promise<void>;
}

/** The user's VKPAY_HOME, read before any host exports its own (see runtime/unicloud-global.ts). */
const USER_VKPAY_HOME = process.env.VKPAY_HOME;

/** Builds the cloud bundle when it is missing or older than the core's sources. */
export function ensureCloudBundle(): void {
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build-cloud.mjs'), '--if-stale'], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The plugin's `env` from its config (uni-config-center/vk-pay); a project without config is local = sandbox. */
function readConfiguredEnv(projectDir: string): string | undefined {
  const dir = findCommonModule('uni-config-center', projectDir);
  if (!dir) return undefined;
  const req = createRequire(path.join(dir, 'package.json'));
  const createConfig = req(dir) as (o: { pluginId: string }) => { config(p: string): unknown };
  const env = createConfig({ pluginId: 'vk-pay' }).config('env');
  return typeof env === 'string' ? env : undefined;
}

/** The sandbox's mutual-TLS listener for v2 /secapi/ calls on a free port; undefined when it cannot be made. */
async function startSecapiListener(sandbox: SandboxInstance | undefined, log: (...args: unknown[]) => void): Promise<{ server: https.Server; url: string } | undefined> {
  if (!sandbox?.tls) return undefined;
  let t: Awaited<ReturnType<NonNullable<SandboxInstance['tls']>>>;
  try {
    t = await sandbox.tls();
  } catch (err) {
    log('[host] no https listener for WeChat Pay v2 refunds (the openssl CLI makes its certificates):', (err as Error).message);
    return undefined;
  }
  const server = https.createServer({ key: t.serverKeyPem, cert: t.serverCertPem, ca: t.caPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    void sandbox.handle(req, res).then((handled) => { if (!handled) { res.writeHead(404); res.end(); } });
  });
  const port = await listen(server, 0);
  return { server, url: `https://127.0.0.1:${port}` };
}

function listen(server: http.Server | https.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

export async function startHost(opts: StartHostOptions = {}): Promise<Host> {
  const home = path.resolve(opts.home ?? USER_VKPAY_HOME ?? path.join(REPO_ROOT, '.vkpay'));
  const log = opts.quiet ? () => {} : (...args: unknown[]) => console.error(...args);
  const projectDir = path.resolve(opts.projectDir ?? REPO_ROOT);
  fs.mkdirSync(home, { recursive: true });
  const adminToken = ensureAdminToken(home);
  ensureUniIdTokenSecret(home);
  provideLocalUniIdCommon();
  // The demo builds its bundle from source; another project brings the built one inside its uni_modules/vk-pay.
  if (projectDir === REPO_ROOT) ensureCloudBundle();
  const db = await openLocalDatabase({ path: path.join(home, 'db'), indexDir: databaseDirs(projectDir) });

  let functions = new Map<string, LoadedFunction>();
  let sandbox: SandboxInstance | undefined;
  let ctx: HostContext | undefined;
  let ready = false;
  const router = createRouter({
    get host() { return ctx as HostContext; },
    get functions() { return functions; },
    h5Dir: opts.h5Dir ?? H5_DIST_DIR,
    sandbox: () => sandbox,
    isSandboxEnv: () => {
      try {
        return (readConfiguredEnv(projectDir) ?? 'sandbox') === 'sandbox';
      } catch (err) {
        log('[host] cannot read the vk-pay config', err);
        return false;
      }
    },
    runTimer: (fn) => runTimer(fn),
    issueToken: (uid, roles) => issueToken(projectDir, uid, roles),
    log,
  });
  const server = http.createServer((req, res) => {
    if (!ready) return sendJson(res, 503, envelopeOf(40010, 'the host is starting'));
    router(req, res).catch((err) => {
      log('[host] request failed', err);
      if (!res.headersSent) sendJson(res, 500, envelopeOf(50000));
      else res.destroy();
    });
  });
  const requested = opts.port ?? (process.env.PORT ? Number(process.env.PORT) : 8787);
  let port: number;
  try {
    port = await listen(server, requested);
  } catch (err) {
    await db.close();
    throw err;
  }
  const url = `http://127.0.0.1:${port}`;
  ctx = { db, home, url };
  const detach = attachHost(ctx);
  let stopTimers = () => {};

  const runTimer = async (name: string): Promise<unknown> => {
    const fn = functions.get(name);
    const trigger = fn && timerTriggerOf(fn);
    if (!fn || !trigger) throw new Error(`no timer trigger for cloud function ${name}`);
    return invokeTimer(ctx as HostContext, fn, trigger);
  };

  let secure: { server: https.Server; url: string } | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopTimers();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (secure) {
        if (process.env.VKPAY_SECAPI_URL === secure.url) delete process.env.VKPAY_SECAPI_URL;
        await new Promise<void>((resolve) => { secure!.server.close(() => resolve()); secure!.server.closeAllConnections(); });
      }
      await sandbox?.close();
      detach();
      await db.close();
    })();
    return closing;
  };

  try {
    await ensureSandboxCredentialsIfPresent(home);
    // module-level cloud code that asks for uniCloud.database() gets this host's, with other hosts alive too
    functions = loadingFor(ctx, () => loadFunctions(projectDir));
    // WeChat Pay v2 refunds need the merchant's client certificate, as on WeChat: /secapi/ is served on an https
    // listener of its own that the local config points at (VKPAY_SECAPI_URL); without openssl there is none
    sandbox = await createSandboxIfPresent({ home, publicBaseUrl: url, requireClientCert: true });
    secure = await startSecapiListener(sandbox, log);
    if (secure) process.env.VKPAY_SECAPI_URL = secure.url;
    if (opts.timers !== false) {
      stopTimers = scheduleTimers(functions.values(), async (fn, trigger) => {
        try {
          const summary = await invokeTimer(ctx as HostContext, fn, trigger);
          log(`[timer] ${fn.name}`, JSON.stringify(summary));
        } catch (err) {
          log(`[timer] ${fn.name} failed`, err);
        }
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  ready = true;
  return { url, port, home, db, adminToken, runTimer, close };
}

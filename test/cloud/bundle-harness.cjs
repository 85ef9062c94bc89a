// Runs one uploaded cloud function the way uniCloud does, in a process that has nothing but this file, the
// uploaded function folder and Node itself. Usage: node bundle-harness.cjs <functionDir> <object|notify|timer> <json>
// Prints one JSON line: {"result": ...} or {"error": "..."}.
// The `uniCloud` global is the only thing supplied. Its database is the local host's embedded database when
// HARNESS_DB_MODULE (the TypeScript module, loaded through tsx given with --import) and HARNESS_DB_PATH are set:
// that code resolves its own packages from the repository, while the uploaded function resolves only from
// its own folder, which is what the test checks.
'use strict';
const path = require('path');
const crypto = require('crypto');

const [fnDir, mode, payloadText] = process.argv.slice(2);
const payload = JSON.parse(payloadText || '{}');

// The only thing supplied from outside: a `uniCloud` global. No database here (the calls made by the test
// do not need one; a call that does fails loudly instead of silently using something else).
let database;
globalThis.uniCloud = {
  database() {
    if (!database) throw new Error('bundle harness: no database supplied');
    return database;
  },
  httpclient: {
    async request(url, opts = {}) {
      const res = await fetch(url, { method: opts.method || 'GET', headers: opts.headers, body: opts.content || (opts.data ? JSON.stringify(opts.data) : undefined) });
      const text = await res.text();
      const headers = {};
      res.headers.forEach((v, k) => { headers[k] = v; });
      return { status: res.status, headers, data: opts.dataType === 'json' ? JSON.parse(text) : opts.dataType === 'text' ? text : Buffer.from(text) };
    },
  },
  logger: console,
};

function reachable(name) {
  try {
    require.resolve(name, { paths: [fnDir] });
    return true;
  } catch {
    return false;
  }
}

async function runObject() {
  const obj = require(path.join(fnDir, 'index.obj.js'));
  const body = JSON.stringify(payload.params || {});
  const httpInfo = { path: '/' + payload.method, httpMethod: 'POST', headers: { 'content-type': 'application/json' }, queryStringParameters: {}, body: payload.rawBody !== undefined ? payload.rawBody : body, isBase64Encoded: false };
  const self = Object.create(obj);
  Object.assign(self, {
    getMethodName: () => payload.method,
    getParams: () => [{}],
    getClientInfo: () => ({ clientIP: '127.0.0.1', userAgent: 'bundle-harness', source: 'http', requestId: crypto.randomUUID() }),
    getHttpInfo: () => httpInfo,
    getUniIdToken: () => undefined,
  });
  let error;
  let result;
  try {
    if (typeof obj._before === 'function') await obj._before.call(self);
    result = await obj[payload.method].call(self, {});
  } catch (err) {
    error = err;
  }
  return typeof obj._after === 'function' ? obj._after.call(self, error, result) : result;
}

async function runNotify() {
  const { main } = require(path.join(fnDir, 'index.js'));
  const body = Buffer.from(payload.body || '').toString('base64');
  return main({ path: payload.path, httpMethod: 'POST', headers: payload.headers || {}, queryStringParameters: {}, body, isBase64Encoded: true }, { requestId: crypto.randomUUID() });
}

async function runTimer() {
  const { main } = require(path.join(fnDir, 'index.js'));
  return main({ Time: new Date(payload.time).toISOString(), TriggerName: 'vk-pay-sync', Type: 'Timer' }, { requestId: crypto.randomUUID() });
}

async function openDatabase() {
  const modulePath = process.env.HARNESS_DB_MODULE;
  if (!modulePath) return undefined;
  const { pathToFileURL } = require('url');
  const mod = await import(pathToFileURL(modulePath).href);
  const api = typeof mod.openLocalDatabase === 'function' ? mod : mod.default;
  return api.openLocalDatabase({ path: process.env.HARNESS_DB_PATH, indexDir: process.env.HARNESS_DB_INDEX_DIR });
}

(async () => {
  database = await openDatabase();
  const devDependencies = ['esbuild', 'zod', 'lmdb', 'vitest', 'typescript', 'tsx'].filter(reachable);
  const run = { object: runObject, notify: runNotify, timer: runTimer }[mode];
  if (!run) throw new Error(`unknown mode ${mode}`);
  const result = await run();
  if (database) await database.close();
  process.stdout.write(JSON.stringify({ result, devDependencies, node: process.version }) + '\n');
})().catch((err) => {
  process.stdout.write(JSON.stringify({ error: String(err && err.stack || err) }) + '\n');
  process.exitCode = 1;
});

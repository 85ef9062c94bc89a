// Runs one uploaded cloud function the way uniCloud does, in a Node process (16, 18 or the test's own) that has
// nothing but this file, wire.cjs beside it, the uploaded function folder and Node itself. The test process
// starts it with an IPC channel and sends one {type: 'invoke', fnDir, mode, payload}; the answer is one
// {type: 'done', result, devDependencies, node} (or {type: 'failed', error}), after which the process exits: a
// fresh instance per call, so every call is a cold start on that runtime.
//
// The only thing supplied is the `uniCloud` global, and its services live outside the function's process as on
// uniCloud: `database()` is a client whose calls (collection, where, ..., get/update/add, db.command values) are
// recorded and executed by the test process on the local host's real database; `httpclient.request` is
// executed there too, by the local host's implementation of uniCloud's httpclient. The function's own code
// (the vk-pay-core bundle, uni-config-center, vk-pay-hooks, uni-id-common) runs here, on this Node.
'use strict';
const path = require('path');
const crypto = require('crypto');
const wire = require('./wire.cjs');

let nextId = 1;
const waiting = new Map();

function call(kind, body) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    process.send(Object.assign({ type: 'call', id, kind }, body));
  });
}

// ---- uniCloud.database(): a recording client ----

// Calls that send the recorded chain and answer a promise; everything before them only records.
const QUERY_TERMINALS = new Set(['get', 'count', 'update', 'updateAndReturn', 'remove', 'add', 'set']);
const QUERY_BUILDERS = new Set(['where', 'orderBy', 'skip', 'limit', 'field', 'doc', 'aggregate']);
const commandSteps = new WeakMap();
const wireHooks = { commandSteps: (v) => (v && typeof v === 'object' ? commandSteps.get(v) : undefined) };

/** Recorded calls as they travel: each argument list encoded once, db.command values inside it as their calls. */
function encodeSteps(steps) {
  return steps.map(([name, args]) => [name, args === null ? null : wire.encode(args, wireHooks, `${name}()`)]);
}

/** A db.command value: records each call made on it (`_.gte(0).lte(10)`, `_.aggregate.sum('$x')`). */
class DbCommandValue {}
function commandValue(steps) {
  const proxy = new Proxy(new DbCommandValue(), {
    get(target, name) {
      if (typeof name !== 'string' || name === 'then' || name === 'toJSON') return undefined;
      if (name === 'aggregate' && steps.length === 0) return commandValue([[name, null]]);
      return (...args) => commandValue(steps.concat([[name, args]]));
    },
  });
  commandSteps.set(proxy, steps);
  return proxy;
}

/** A collection, query, document or aggregation: builders record, terminals send the whole chain. */
class DbQuery {}
function queryChain(steps, inAggregate) {
  return new Proxy(new DbQuery(), {
    get(target, name) {
      if (typeof name !== 'string' || name === 'then' || name === 'toJSON') return undefined;
      const terminal = inAggregate ? name === 'end' : QUERY_TERMINALS.has(name);
      return (...args) => {
        if (!terminal && !inAggregate && !QUERY_BUILDERS.has(name)) {
          throw new TypeError(`uniCloud.database(): ${name}() is not part of what this test harness forwards`);
        }
        const next = steps.concat([[name, args]]);
        if (!terminal) return queryChain(next, inAggregate || name === 'aggregate');
        return call('db', { steps: encodeSteps(next) }).then((value) => wire.decode(value));
      };
    },
  });
}

const database = {
  command: commandValue([]),
  collection(name) {
    return queryChain([['collection', [name]]], false);
  },
};

// ---- the uniCloud global ----

globalThis.uniCloud = {
  database: () => database,
  httpclient: {
    async request(url, options) {
      const value = await call('http', { url: String(url), options: wire.encode(options || {}, undefined, 'httpclient options') });
      return wire.decode(value);
    },
  },
  logger: console,
};

function reachable(fnDir, name) {
  try {
    require.resolve(name, { paths: [fnDir] });
    return true;
  } catch (e) {
    return false;
  }
}

// ---- the invocations, shaped as uniCloud shapes them (see local/runtime/invoke.ts) ----

/**
 * A cloud-object call: `via: 'http'` is a URL-ized call (JSON body, `uni-id-token` header, query as the argument);
 * `via: 'client'` is what uniCloud.importObject sends (the parameters as the argument, the token by itself).
 */
async function runObject(fnDir, p) {
  const obj = require(path.join(fnDir, 'index.obj.js'));
  const requestId = crypto.randomUUID();
  const viaHttp = p.via !== 'client';
  const headers = Object.assign({ 'content-type': 'application/json' }, p.token ? { 'uni-id-token': p.token } : {}, p.headers || {});
  const httpInfo = viaHttp ? {
    path: '/' + p.method, httpMethod: 'POST', headers, queryStringParameters: {},
    body: p.rawBody !== undefined ? p.rawBody : JSON.stringify(p.params || {}), isBase64Encoded: false,
  } : undefined;
  const self = Object.create(obj);
  Object.assign(self, {
    getMethodName: () => p.method,
    getParams: () => (viaHttp ? [{}] : [p.params || {}]),
    getClientInfo: () => ({ clientIP: '127.0.0.1', userAgent: 'bundle-harness', source: viaHttp ? 'http' : 'client', requestId, platform: viaHttp ? undefined : 'web' }),
    getHttpInfo: () => httpInfo,
    getUniIdToken: () => p.token,
    getUniCloudRequestId: () => requestId,
  });
  let error;
  let result;
  try {
    if (typeof obj._before === 'function') await obj._before.call(self);
    result = await obj[p.method].apply(self, self.getParams());
  } catch (err) {
    error = err;
  }
  if (typeof obj._after === 'function') return obj._after.call(self, error, result);
  if (error) throw error;
  return result;
}

function contextOf(fnDir, source) {
  const requestId = crypto.randomUUID();
  return { requestId, CLIENTIP: '127.0.0.1', CLIENTUA: 'bundle-harness', SOURCE: source, FUNCTION_NAME: path.basename(fnDir) };
}

async function runNotify(fnDir, p) {
  const { main } = require(path.join(fnDir, 'index.js'));
  return main(p.event, contextOf(fnDir, 'http'));
}

async function runTimer(fnDir, p) {
  const { main } = require(path.join(fnDir, 'index.js'));
  return main({ Time: new Date(p.time).toISOString(), TriggerName: path.basename(fnDir), Type: 'Timer' }, contextOf(fnDir, 'timing'));
}

/** What a uni-id login on the same space would hand the user: a token from the function's own uni-id-common. */
async function runLogin(fnDir, p) {
  const uniId = require(require.resolve('uni-id-common', { paths: [fnDir] }));
  return uniId.createInstance({ clientInfo: { uniPlatform: 'web' } }).createToken({ uid: p.uid, role: p.role || [] });
}

/**
 * The merchant key was read from its file and is a usable private key: parsed by this runtime's crypto, not
 * matched against a PEM header (a header alone proves nothing, and spelling one out here made secret scanners
 * that look for the header text report this file).
 */
function isPrivateKey(pem) {
  try {
    return crypto.createPrivateKey(pem).type === 'private';
  } catch {
    return false;
  }
}

/**
 * The plugin's config as the core reads it: uni-config-center required from the function's folder (the instance
 * the bundle's own `require('uni-config-center')` gets), then the core's loadConfig, which validates it. Answers
 * what was read, and every file this process loaded that is not part of the function's folder.
 */
async function runConfig(fnDir) {
  const createConfig = require(require.resolve('uni-config-center', { paths: [fnDir] }));
  const raw = createConfig({ pluginId: 'vk-pay' }).config();
  const config = require(require.resolve('vk-pay-core', { paths: [fnDir] })).loadConfig();
  const own = new Set([__filename, require.resolve('./wire.cjs')]);
  const outside = Object.keys(require.cache).filter((file) => !own.has(file) && !file.startsWith(fnDir + path.sep));
  return {
    rawKeys: Object.keys(raw).sort(),
    config: {
      env: config.env, notifyUrl: config.notifyUrl, providers: Object.keys(config.providers).sort(), auth: config.auth,
      adminRoles: config.adminRoles, orderTypes: Object.keys(config.orderTypes).sort(), webhooks: config.alerts.webhooks.map((w) => w.kind),
      privateKeyLoaded: isPrivateKey(config.providers.wxpay.merchant.privateKeyPem),
    },
    outside,
  };
}

/** A probe of the database client itself (db-probe.cjs): `module.exports = async (db) => answers`. */
async function runProbe(fnDir, p) {
  return require(path.join(fnDir, p.file))(uniCloud.database());
}

const MODES = { object: runObject, notify: runNotify, timer: runTimer, login: runLogin, config: runConfig, probe: runProbe };

process.on('message', (msg) => {
  if (msg.type === 'reply') {
    const pending = waiting.get(msg.id);
    if (!pending) return;
    waiting.delete(msg.id);
    if (msg.ok) pending.resolve(msg.value);
    else pending.reject(wire.decodeError(msg.error));
    return;
  }
  if (msg.type !== 'invoke') return;
  const run = MODES[msg.mode];
  const finish = (answer) => process.send(answer, () => process.exit(0));
  Promise.resolve()
    .then(() => {
      if (!run) throw new Error(`unknown mode ${msg.mode}`);
      return run(msg.fnDir, msg.payload || {});
    })
    .then((result) => {
      const devDependencies = ['esbuild', 'zod', 'lmdb', 'mingo', 'vitest', 'typescript', 'tsx'].filter((name) => reachable(msg.fnDir, name));
      finish({ type: 'done', result: wire.encode(result, undefined, 'result'), devDependencies, node: process.version });
    })
    .catch((err) => finish({ type: 'failed', error: String((err && err.stack) || err), node: process.version }));
});

/**
 * The host's cloud-function runtime on its own: the cloud-object lifecycle uniCloud defines (`_before`, method,
 * `_after(error, result)` on one `this`; `_timing` without them), the per-host `uniCloud` global, function
 * timeouts, the 7-field cron triggers, and `uniCloud.httpclient.request` on fetch.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalDatabase, type LocalDatabase } from '../../local/db';
import type { LoadedFunction } from '../../local/runtime/functions';
import { routeByPath } from '../../local/runtime/functions';
import { httpclientRequest } from '../../local/runtime/httpclient';
import { FunctionTimeoutError, invokeCloudObject, invokeFunction, invokeTimer, isCallableMethod } from '../../local/runtime/invoke';
import { scheduleTimers, toCronerPattern } from '../../local/runtime/timers';
import { attachHost, type HostContext } from '../../local/runtime/unicloud-global';

declare const uniCloud: { database(): unknown; httpclient: { request: typeof httpclientRequest } };

let dir: string;
let db: LocalDatabase;
let ctx: HostContext;
let detach: () => void;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-runtime-'));
  db = await openLocalDatabase({ path: path.join(dir, 'db') });
  ctx = { db, home: dir, url: 'http://127.0.0.1:1' };
  detach = attachHost(ctx);
});

afterAll(async () => {
  detach();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const clientInfo = { clientIP: '10.0.0.1', userAgent: 'ua', source: 'http' as const, requestId: 'req-1' };

function recordingObject(calls: string[]): LoadedFunction {
  const object: Record<string, unknown> = {
    _before(this: any) { calls.push(`before:${this.getMethodName()}`); this.seen = 'set in _before'; },
    async echo(this: any, arg: unknown) {
      calls.push('method');
      return {
        arg, seen: this.seen, client: this.getClientInfo(), http: this.getHttpInfo(), token: this.getUniIdToken(),
        sameDb: uniCloud.database() === db, requestId: this.getUniCloudRequestId(), cloud: this.getCloudInfo().functionType,
      };
    },
    async boom() { calls.push('method'); throw new Error('boom'); },
    async slow() { await new Promise((r) => setTimeout(r, 300)); return 'late'; },
    _after(this: any, error: Error | undefined, result: unknown) { calls.push('after'); return error ? { failed: error.message } : { wrapped: result }; },
    _timing(this: any, param: unknown) { calls.push('timing'); return { param, sameDb: uniCloud.database() === db }; },
    _private() { return 'never'; },
  };
  return { name: 'demo-co', dir, kind: 'object', config: { timeout: 0.1, path: '/http/demo-co', triggers: [{ name: 't', type: 'timer', config: '0 * * * * * *' }] }, object };
}

describe('cloud objects', () => {
  it('run _before, the method and _after on one this, with the client, HTTP and token getters', async () => {
    const calls: string[] = [];
    const fn = recordingObject(calls);
    const httpInfo = { path: '/echo', httpMethod: 'POST', headers: { 'content-type': 'application/json' }, queryStringParameters: { a: '1' }, body: '{}', isBase64Encoded: false };
    const out = await invokeCloudObject(ctx, fn, { method: 'echo', params: [{ a: '1' }], clientInfo, httpInfo, uniIdToken: 'tok' }) as any;
    expect(calls).toEqual(['before:echo', 'method', 'after']);
    expect(out.wrapped).toMatchObject({ arg: { a: '1' }, seen: 'set in _before', client: clientInfo, http: httpInfo, token: 'tok', sameDb: true, requestId: 'req-1', cloud: 'cloudobject' });
  });

  it('hand a thrown error to _after', async () => {
    const calls: string[] = [];
    const out = await invokeCloudObject(ctx, recordingObject(calls), { method: 'boom', params: [], clientInfo });
    expect(out).toEqual({ failed: 'boom' });
    expect(calls).toEqual(['before:boom', 'method', 'after']);
  });

  it('never expose _-prefixed, inherited or missing names', async () => {
    const fn = recordingObject([]);
    const obj = fn.object as Record<string, unknown>;
    for (const name of ['_before', '_after', '_timing', '_private', 'constructor', 'toString', '__proto__', 'hasOwnProperty', '', 'missing']) {
      expect(isCallableMethod(obj, name), name).toBe(false);
      await expect(invokeCloudObject(ctx, fn, { method: name, params: [], clientInfo })).rejects.toThrow(/no callable method/);
    }
    expect(isCallableMethod(obj, 'echo')).toBe(true);
  });

  it('stop waiting after the function timeout', async () => {
    await expect(invokeCloudObject(ctx, recordingObject([]), { method: 'slow', params: [], clientInfo })).rejects.toBeInstanceOf(FunctionTimeoutError);
  });

  it('get timers through _timing, without _before or _after', async () => {
    const calls: string[] = [];
    const out = await invokeTimer(ctx, recordingObject(calls), { name: 't' }, new Date('2026-01-01T00:00:00Z')) as any;
    expect(calls).toEqual(['timing']);
    expect(out).toEqual({ param: { Time: '2026-01-01T00:00:00.000Z', TriggerName: 't', Type: 'Timer' }, sameDb: true });
  });
});

describe('plain functions', () => {
  it('get (event, context) and see their host database', async () => {
    const fn: LoadedFunction = { name: 'demo-fn', dir, kind: 'function', config: { path: '/http/demo' }, main: (event, context) => ({ event, context, sameDb: uniCloud.database() === db }) };
    const out = await invokeFunction(ctx, fn, { path: '/x' }, clientInfo) as any;
    expect(out.event).toEqual({ path: '/x' });
    expect(out.context).toMatchObject({ requestId: 'req-1', CLIENTIP: '10.0.0.1', SOURCE: 'http', FUNCTION_NAME: 'demo-fn' });
    expect(out.sameDb).toBe(true);
  });

  it('are routed by their configured URL path, longest first, with the rest of the path', () => {
    const mk = (name: string, p?: string): LoadedFunction => ({ name, dir, kind: 'function', config: p ? { path: p } : {}, main: () => null });
    const fns = new Map([['a', mk('a', '/http/a')], ['ab', mk('ab', '/http/a/b')], ['t', mk('t')]]);
    expect(routeByPath(fns, '/http/a/x')).toMatchObject({ fn: { name: 'a' }, rest: '/x' });
    expect(routeByPath(fns, '/http/a/b/c')).toMatchObject({ fn: { name: 'ab' }, rest: '/c' });
    expect(routeByPath(fns, '/http/a')).toMatchObject({ fn: { name: 'a' }, rest: '/' });
    expect(routeByPath(fns, '/http/ab')).toBeUndefined();
    expect(routeByPath(fns, '/http/t')).toBeUndefined();
  });
});

describe('timer triggers', () => {
  it('take uniCloud\'s 7-field cron with the year as *', () => {
    expect(toCronerPattern('0 * * * * * *')).toBe('0 * * * * *');
    expect(toCronerPattern(' 0  0 2 1 * * * ')).toBe('0 0 2 1 * *');
    expect(() => toCronerPattern('0 * * * * *')).toThrow(/7 fields/);
    expect(() => toCronerPattern('0 * * * * * 2026')).toThrow(/year/);
  });

  it('fire on schedule and stop when told', async () => {
    const fn = recordingObject([]);
    fn.config.triggers = [{ name: 'every-second', type: 'timer', config: '* * * * * * *' }];
    let runs = 0;
    const stop = scheduleTimers([fn], async () => { runs += 1; });
    await new Promise((r) => setTimeout(r, 2200));
    stop();
    const seen = runs;
    expect(seen).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 1200));
    expect(runs).toBe(seen);
  });
});

describe('uniCloud.httpclient.request', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        if (req.url?.startsWith('/slow')) { setTimeout(() => res.end('late'), 500); return; }
        if (req.url?.startsWith('/bad-json')) { res.end('not json'); return; }
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-echo', 'yes');
        res.statusCode = req.url?.startsWith('/created') ? 201 : 200;
        res.end(JSON.stringify({ method: req.method, url: req.url, body, type: req.headers['content-type'] ?? null }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is the global one and answers {status, headers, data} like urllib', async () => {
    expect(uniCloud.httpclient.request).toBe(httpclientRequest);
    const json = await httpclientRequest(`${base}/created`, { method: 'POST', data: { a: 1 }, contentType: 'json', dataType: 'json' });
    expect(json.status).toBe(201);
    expect(json.headers['x-echo']).toBe('yes');
    expect(json.data).toMatchObject({ method: 'POST', body: '{"a":1}', type: 'application/json' });
    const form = await httpclientRequest(`${base}/f`, { method: 'POST', data: { a: 1, b: 'x y' }, dataType: 'json' });
    expect((form.data as any).body).toBe('a=1&b=x+y');
    const query = await httpclientRequest(`${base}/q`, { data: { a: 1 }, dataType: 'json' });
    expect((query.data as any).url).toBe('/q?a=1');
    const raw = await httpclientRequest(`${base}/r`, { method: 'POST', content: '<xml/>', headers: { 'Content-Type': 'text/xml' } });
    expect(Buffer.isBuffer(raw.data)).toBe(true);
    expect(JSON.parse(String(raw.data)).body).toBe('<xml/>');
    const text = await httpclientRequest(`${base}/t`, { dataType: 'text' });
    expect(typeof text.data).toBe('string');
  });

  it('names timeouts, bad JSON and refused connections as urllib does', async () => {
    await expect(httpclientRequest(`${base}/slow`, { timeout: 100 })).rejects.toMatchObject({ name: 'ResponseTimeoutError' });
    await expect(httpclientRequest(`${base}/bad-json`, { dataType: 'json' })).rejects.toMatchObject({ name: 'JSONResponseFormatError' });
    await expect(httpclientRequest('http://127.0.0.1:1/', { timeout: 1000 })).rejects.toMatchObject({ name: 'RequestError' });
  });
});

describe('which host a call answers', () => {
  it('a call begun while its host was alone keeps answering that host after a second one arrives, and calls after it too', async () => {
    const otherDb = {} as LocalDatabase;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const late: LoadedFunction = { name: 'late', dir, kind: 'function', config: {}, main: async () => { await gate; return uniCloud.database() === db; } };
    const mine: LoadedFunction = { name: 'mine', dir, kind: 'function', config: {}, main: async () => { await Promise.resolve(); return uniCloud.database(); } };
    const begun = invokeFunction(ctx, late, {}, clientInfo);
    const other: HostContext = { db: otherDb, home: '/tmp/host-other', url: 'http://127.0.0.1:1003' };
    const detachOther = attachHost(other);
    try {
      release();
      expect(await begun).toBe(true);
      expect(await invokeFunction(ctx, mine, {}, clientInfo)).toBe(db);
      expect(await invokeFunction(other, mine, {}, clientInfo)).toBe(otherDb);
    } finally {
      detachOther();
    }
  });
});

describe('the host environment for the cloud config', () => {
  it('VKPAY_HOME / VKPAY_PUBLIC_URL follow the newest host still running', () => {
    const a: HostContext = { db, home: '/tmp/host-a', url: 'http://127.0.0.1:1001' };
    const b: HostContext = { db, home: '/tmp/host-b', url: 'http://127.0.0.1:1002' };
    const detachA = attachHost(a);
    expect(process.env.VKPAY_HOME).toBe('/tmp/host-a');
    const detachB = attachHost(b);
    expect(process.env.VKPAY_PUBLIC_URL).toBe('http://127.0.0.1:1002');
    detachB();
    expect(process.env.VKPAY_HOME).toBe('/tmp/host-a');
    expect(process.env.VKPAY_PUBLIC_URL).toBe('http://127.0.0.1:1001');
    detachA();
    expect(process.env.VKPAY_HOME).toBe(ctx.home);
  });
});

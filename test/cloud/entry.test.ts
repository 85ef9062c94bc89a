/**
 * The three entry adapters of the core (src/entry): the cloud object's parameter decision and envelope, the
 * URL-ized notify event -> IncomingNotification -> integrated response, the timer event -> one sync run.
 */
import { describe, expect, it } from 'vitest';
import { ParamError } from '../../uni_modules/vk-pay/common/errors';
import { createCloudObject, paramsFromHttp, type CloudObjectThis } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/entry/cloud-object';
import { channelFromPath, createNotifyFunction, toIncomingNotification } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/entry/notify';
import type { CloudRequest, CoreServices, HttpInfo } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/entry/services';
import { createTimerFunction, triggerTime } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/entry/timer';
import type { IncomingNotification } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';

/** A CoreServices that remembers what it was given. */
function recordingServices() {
  const seen: { params?: Record<string, unknown>; req?: CloudRequest; notify?: [string, IncomingNotification]; timer?: number } = {};
  const services: CoreServices = {
    methods: {
      async remember(params, req) { seen.params = params; seen.req = req; return { ok: true }; },
      async fail() { throw new ParamError('amount must be a positive integer'); },
      async crash() { throw new Error('/secret/path/key.pem: ENOENT'); },
      async nothing() { return undefined; },
      async _hidden() { return 'never'; },
    },
    async notify(channel, req) { seen.notify = [channel, req]; return { statusCode: 204, headers: { x: '1' }, body: '' }; },
    async runTimer(trigger) { seen.timer = trigger.time; return { ran: true }; },
  };
  return { services, seen };
}

function thisFor(method: string, httpInfo?: HttpInfo, token?: string): CloudObjectThis {
  return {
    getMethodName: () => method,
    getClientInfo: () => ({ clientIP: '1.2.3.4', userAgent: 'ua', source: httpInfo ? 'http' : 'client', requestId: 'r1', platform: 'web' }),
    getHttpInfo: () => httpInfo,
    getUniIdToken: () => token,
  };
}

const http = (body: string, extra: Partial<HttpInfo> = {}): HttpInfo => ({ path: '/remember', httpMethod: 'POST', headers: {}, queryStringParameters: {}, body, isBase64Encoded: false, ...extra });

async function call(obj: Record<string, any>, self: CloudObjectThis, method: string, ...args: unknown[]) {
  let error: unknown;
  let result: unknown;
  try {
    await obj._before.call(self);
    result = await obj[method].apply(self, args);
  } catch (err) {
    error = err;
  }
  return obj._after.call(self, error, result);
}

describe('cloud-object adapter', () => {
  it('exposes the services\' methods, never _-prefixed ones', () => {
    const obj = createCloudObject(recordingServices().services);
    expect(Object.keys(obj).sort()).toEqual(['_after', '_before', 'crash', 'fail', 'nothing', 'remember']);
  });

  it('a URL-ized call: the JSON body is the parameter object; the request carries client, HTTP info and token', async () => {
    const { services, seen } = recordingServices();
    const obj = createCloudObject(services);
    const info = http('{"amount":100,"type":"recharge"}', { queryStringParameters: { type: 'from-query', lang: 'en' } });
    const out = await call(obj, thisFor('remember', info, 'tok'), 'remember', info.queryStringParameters);
    expect(out).toEqual({ errCode: 0, errMsg: 'ok', code: 0, msg: 'ok', data: { ok: true } });
    expect(seen.params).toEqual({ amount: 100, type: 'recharge', lang: 'en' });
    expect(seen.req).toMatchObject({ method: 'remember', uniIdToken: 'tok', clientInfo: { clientIP: '1.2.3.4', source: 'http', requestId: 'r1', platform: 'web' } });
    expect(seen.req?.httpInfo).toEqual(info);
  });

  it('a base64 body is decoded; an empty body means the query parameters', () => {
    expect(paramsFromHttp(http(Buffer.from('{"a":"中文"}').toString('base64'), { isBase64Encoded: true }))).toEqual({ a: '中文' });
    expect(paramsFromHttp(http('', { queryStringParameters: { q: '1' } }))).toEqual({ q: '1' });
  });

  it('a body that is not a JSON object is 40001 and the method never runs', async () => {
    for (const body of ['{oops', '[1]', '3', 'null', '"s"']) {
      const { services, seen } = recordingServices();
      const out = await call(createCloudObject(services), thisFor('remember', http(body)), 'remember');
      expect(out, body).toMatchObject({ code: 40001, action: 'check the parameters' });
      expect(seen.params).toBeUndefined();
    }
  });

  it('a client (non-HTTP) call takes the first argument as the parameters', async () => {
    const { services, seen } = recordingServices();
    await call(createCloudObject(services), thisFor('remember'), 'remember', { out_trade_no: 'X1' });
    expect(seen.params).toEqual({ out_trade_no: 'X1' });
    expect(seen.req?.httpInfo).toBeUndefined();
  });

  it('errors become the envelope from the error table; unknown errors say nothing of their internals', async () => {
    const obj = createCloudObject(recordingServices().services);
    const msg = 'parameter missing or malformed: amount must be a positive integer';
    // both conventions on every reply: uniCloud's errCode/errMsg/errSubject and VK's code/msg/action
    expect(await call(obj, thisFor('fail', http('{}')), 'fail')).toEqual({ errCode: 40001, errSubject: 'vk-pay', errMsg: msg, code: 40001, msg, action: 'check the parameters' });
    const crash = await call(obj, thisFor('crash', http('{}')), 'crash');
    expect(crash).toEqual({ errCode: 50000, errSubject: 'vk-pay', errMsg: 'unknown error', code: 50000, msg: 'unknown error', action: 'contact support' });
    expect(JSON.stringify(crash)).not.toContain('secret');
    expect(await call(obj, thisFor('nothing', http('{}')), 'nothing')).toEqual({ errCode: 0, errMsg: 'ok', code: 0, msg: 'ok', data: null });
    expect(await call(obj, thisFor('_hidden', http('{}')), 'remember')).toMatchObject({ code: 40001 });
  });
});

describe('notify adapter', () => {
  it('maps the integrated request to (channel, raw body, lower-cased headers) and replies with an integrated response', async () => {
    const { services, seen } = recordingServices();
    const main = createNotifyFunction(services);
    const body = '{"id":"EV-1"}';
    const out = await main({ path: '/wxpay-v2', httpMethod: 'POST', headers: { 'Wechatpay-Signature': 'sig' }, queryStringParameters: {}, body: Buffer.from(body).toString('base64'), isBase64Encoded: true });
    expect(seen.notify).toEqual(['wxpay-v2', { headers: { 'wechatpay-signature': 'sig' }, rawBody: body, query: {} }]);
    expect(out).toEqual({ mpserverlessComposedResponse: true, isBase64Encoded: false, statusCode: 204, headers: { x: '1' }, body: '' });
  });

  it('refuses unknown channels, non-POST and non-HTTP calls without calling the core; a core failure asks for a retry', async () => {
    const { services, seen } = recordingServices();
    const main = createNotifyFunction(services);
    expect((await main({ path: '/paypal', httpMethod: 'POST', body: '' })).statusCode).toBe(404);
    expect((await main({ path: '/', httpMethod: 'POST', body: '' })).statusCode).toBe(404);
    expect((await main({ path: '/alipay', httpMethod: 'GET', body: '' })).statusCode).toBe(405);
    expect((await main({} as never)).statusCode).toBe(400);
    expect(seen.notify).toBeUndefined();
    const failing = createNotifyFunction({ ...services, notify: async () => { throw new Error('db down'); } });
    const out = await failing({ path: '/alipay', httpMethod: 'POST', body: 'a=1' });
    expect(out.statusCode).toBe(500);
  });

  it('reads the channel from the first path segment only', () => {
    expect(channelFromPath('/alipay')).toBe('alipay');
    expect(channelFromPath('/wxpay/extra')).toBe('wxpay');
    expect(channelFromPath('wxpay')).toBe('wxpay');
    expect(channelFromPath('/constructor')).toBeUndefined();
    // payouts have a route of their own per channel
    expect(channelFromPath('/wxpay-transfer')).toBe('wxpay-transfer');
    expect(channelFromPath('/nothing-transfer')).toBeUndefined();
    expect(channelFromPath('/-transfer')).toBeUndefined();
    expect(channelFromPath(undefined)).toBeUndefined();
    expect(toIncomingNotification({ body: 'x', headers: { A: 'b', C: undefined } })).toEqual({ headers: { a: 'b' }, rawBody: 'x', query: {} });
  });
});

describe('timer adapter', () => {
  it('passes the trigger time to the sync and returns its summary', async () => {
    const { services, seen } = recordingServices();
    const at = Date.parse('2026-03-01T08:00:00.000Z');
    const out = await createTimerFunction(services, { now: () => at + 1500 })({ Time: '2026-03-01T08:00:00.000Z', TriggerName: 'vk-pay-sync', Type: 'Timer' }, { SOURCE: 'timing' });
    expect(out).toEqual({ ran: true });
    expect(seen.timer).toBe(at);
    expect(triggerTime({ Time: 'garbage' }, () => 42)).toBe(42);
    expect(triggerTime(undefined, () => 7)).toBe(7);
  });

  it('runs only for its trigger, and trusts the event time only near its own clock', async () => {
    for (const SOURCE of ['client', 'function', 'http', 'server']) {
      const { services, seen } = recordingServices();
      const out = await createTimerFunction(services)({ Time: new Date().toISOString() }, { SOURCE });
      expect(out, SOURCE).toMatchObject({ errCode: 40009, code: 40009 });
      expect(seen.timer, SOURCE).toBeUndefined();
    }
    const now = Date.parse('2026-03-01T08:00:00.000Z');
    // a caller dating the run a day ahead would expire orders early: the function's clock is used instead
    expect(triggerTime({ Time: '2026-03-02T08:00:00.000Z' }, () => now)).toBe(now);
    expect(triggerTime({ Time: '2026-02-28T08:00:00.000Z' }, () => now)).toBe(now);
    expect(triggerTime({ Time: '2026-03-01T07:55:00.000Z' }, () => now)).toBe(now - 5 * 60_000);
  });
});

describe('lazy services', () => {
  it('create the services on the first call only, and a creation error is that call\'s error', async () => {
    const { lazyServices } = await import('../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/entry/lazy');
    let created = 0;
    const lazy = lazyServices(['remember'], () => { created += 1; return recordingServices().services; });
    expect(Object.keys(lazy.methods)).toEqual(['remember']);
    expect(created).toBe(0);
    const req: CloudRequest = { method: 'remember', clientInfo: { clientIP: '', userAgent: '', source: 'http', requestId: '' } };
    expect(await lazy.methods.remember({ a: 1 }, req)).toEqual({ ok: true });
    expect(await lazy.runTimer({ time: 1 })).toEqual({ ran: true });
    expect(created).toBe(1);
    const broken = lazyServices(['x'], () => { throw new ParamError('vk-pay config: notifyUrl missing'); });
    const obj = createCloudObject(broken);
    expect(await call(obj, thisFor('x', http('{}')), 'x')).toMatchObject({ code: 40001, msg: expect.stringContaining('notifyUrl') });
    await expect(broken.notify('wxpay', { headers: {}, rawBody: '' })).rejects.toThrow(/notifyUrl/);
  });
});

/**
 * Both HttpClient adapters against a real local server: raw body kept byte for byte, headers lower-cased,
 * timeouts and refused connections -> GatewayNetworkError (40004). The uniCloud adapter is driven through a
 * minimal urllib-shaped client over node:http (what uniCloud.httpclient is underneath).
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayNetworkError } from '../../../uni_modules/vk-pay/common/errors';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createUniCloudHttpClient, type UniCloudHttpClientLike } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-unicloud';
import { deadPort, startFixture, type Fixture } from '../providers/gateway-fixture';

const urllibLike: UniCloudHttpClientLike = {
  request: (url, o) => new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: o.method, headers: o.headers, timeout: o.timeout }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, data: o.dataType === 'text' ? Buffer.concat(chunks).toString('utf8') : Buffer.concat(chunks) }));
    });
    req.on('timeout', () => { const e = new Error('Response timeout'); e.name = 'ResponseTimeoutError'; req.destroy(e); });
    req.on('error', reject);
    if (o.content !== undefined) req.write(o.content);
    req.end();
  }),
};

let gw: Fixture;
beforeAll(async () => { gw = await startFixture(); });
afterAll(async () => { await gw.close(); });

const RAW = '{"a":"\\/x","b": 1 ,"c":"中文"}';

describe.each([
  ['fetch', createFetchHttpClient()],
  ['uniCloud.httpclient', createUniCloudHttpClient(urllibLike)],
])('%s adapter', (_name, http) => {
  it('sends the exact body and returns the raw body with lower-cased headers', async () => {
    gw.handle((req) => ({ status: 201, headers: { 'Wechatpay-Nonce': 'n1', 'content-type': 'application/json' }, body: req.body === RAW ? RAW : 'mismatch' }));
    const res = await http({ method: 'POST', url: `${gw.origin}/p/q?x=1`, headers: { 'Content-Type': 'application/json' }, body: RAW, timeoutMs: 2000 });
    expect(res.status).toBe(201);
    expect(res.body).toBe(RAW);
    expect(res.headers['wechatpay-nonce']).toBe('n1');
    expect(gw.seen.at(-1)!.url).toBe('/p/q?x=1');
  });

  it('a timeout is a GatewayNetworkError', async () => {
    gw.handle(() => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: 'late' }), 500)));
    await expect(http({ method: 'GET', url: `${gw.origin}/slow`, headers: {}, timeoutMs: 100 })).rejects.toBeInstanceOf(GatewayNetworkError);
  });

  it('a refused connection is a GatewayNetworkError (40004)', async () => {
    const err = await http({ method: 'GET', url: `http://127.0.0.1:${await deadPort()}/`, headers: {}, timeoutMs: 1000 }).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayNetworkError);
    expect(err.code).toBe(40004);
  });
});

describe('client certificates (mutual TLS)', () => {
  it('the uniCloud adapter hands urllib its pfx/passphrase or key/cert and ca options; plain requests carry none', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const recording: UniCloudHttpClientLike = { request: async (_url, o) => { seen.push(o as unknown as Record<string, unknown>); return { status: 200, headers: {}, data: 'ok' }; } };
    const http = createUniCloudHttpClient(recording);
    const pfx = Buffer.from([1, 2, 3]);
    await http({ method: 'POST', url: 'https://api.mch.weixin.qq.com/secapi/pay/refund', headers: {}, body: '<xml/>', timeoutMs: 1000, tls: { pfx, passphrase: '1900000001' } });
    await http({ method: 'POST', url: 'https://api.mch.weixin.qq.com/secapi/pay/refund', headers: {}, body: '<xml/>', timeoutMs: 1000, tls: { key: 'K', cert: 'C', ca: 'A' } });
    await http({ method: 'POST', url: 'https://api.mch.weixin.qq.com/pay/orderquery', headers: {}, body: '<xml/>', timeoutMs: 1000 });
    expect(seen[0]).toMatchObject({ pfx, passphrase: '1900000001' });
    expect(seen[1]).toMatchObject({ key: 'K', cert: 'C', ca: 'A' });
    expect(Object.keys(seen[2])).not.toContain('pfx');
  });

  it('the fetch adapter refuses a client certificate over plain http (it would be sent nowhere)', async () => {
    const err = await createFetchHttpClient()({ method: 'POST', url: `${gw.origin}/secapi`, headers: {}, timeoutMs: 1000, tls: { key: 'K', cert: 'C' } }).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayNetworkError);
  });
});

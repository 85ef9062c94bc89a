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

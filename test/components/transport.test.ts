// @vitest-environment node
/**
 * The transport against a real HTTP server on 127.0.0.1: the URL it posts to, the JSON body, the identity headers,
 * and how every kind of answer (data envelope, error envelope, unknown code, non-JSON, no answer) comes back.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VkPayError } from '../../uni_modules/vk-pay/common/errors';
import { EnvelopeError, createTransport, fetchRequester, methodUrl, unwrapEnvelope } from '../../uni_modules/vk-pay/components/vk-pay/transport';

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

let server: http.Server;
let base = '';
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const name = (req.url ?? '').replace('/http/vk-pay-co/', '');
      const reply = (status: number, text: string, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(text);
      };
      if (name === 'echo') return reply(200, JSON.stringify({ code: 0, msg: 'ok', data: { got: JSON.parse(body) } }));
      if (name === 'refuse') return reply(200, JSON.stringify({ code: 40006, msg: 'order already paid: T1', action: 'no need to pay again; query the order' }));
      if (name === 'weird') return reply(500, JSON.stringify({ code: 12345, msg: 'odd' }));
      if (name === 'html') return reply(502, '<html>bad gateway</html>', 'text/html');
      if (name === 'slow') return setTimeout(() => reply(200, '{"code":0,"msg":"ok","data":1}'), 2000);
      return reply(404, JSON.stringify({ code: 40001, msg: `unknown method ${name}`, action: 'check the parameters' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('transport', () => {
  it('posts JSON to <base>/http/vk-pay-co/<method> and returns the data of a success envelope', async () => {
    const t = createTransport({ baseUrl: `${base}/`, requester: fetchRequester() });
    const data = await t.call<{ got: unknown }>('echo', { out_trade_no: 'T1', amount: 100 });
    expect(data).toEqual({ got: { out_trade_no: 'T1', amount: 100 } });
    const last = seen[seen.length - 1];
    expect(last.method).toBe('POST');
    expect(last.url).toBe('/http/vk-pay-co/echo');
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['x-vkpay-dev-uid']).toBeUndefined();
    expect(last.headers.authorization).toBeUndefined();
  });

  it('sends the uni-id token on every call, and the bearer token only on admin calls', async () => {
    const t = createTransport({ baseUrl: base, uniIdToken: () => 'jwt-of-u42', adminToken: 'tok-0123456789abcdef', requester: fetchRequester() });
    await t.call('echo', {});
    expect(seen[seen.length - 1].headers['uni-id-token']).toBe('jwt-of-u42');
    expect(seen[seen.length - 1].headers.authorization).toBeUndefined();
    await t.call('echo', {}, { admin: true });
    expect(seen[seen.length - 1].headers.authorization).toBe('Bearer tok-0123456789abcdef');
    expect(seen[seen.length - 1].headers['uni-id-token']).toBe('jwt-of-u42');
  });

  it('an admin call without a bearer token goes as the signed-in user (a uni-id admin role is checked by the server)', async () => {
    const t = createTransport({ baseUrl: base, uniIdToken: () => 'jwt-of-admin', requester: fetchRequester() });
    await t.call('echo', {}, { admin: true });
    expect(seen[seen.length - 1].headers.authorization).toBeUndefined();
    expect(seen[seen.length - 1].headers['uni-id-token']).toBe('jwt-of-admin');
  });

  it('reads both envelope conventions: errCode/errMsg (uniCloud) first, code/msg (VK) otherwise', () => {
    expect(unwrapEnvelope({ status: 200, body: { errCode: 0, errMsg: 'ok', code: 0, msg: 'ok', data: 5 } })).toBe(5);
    expect(unwrapEnvelope({ status: 200, body: { errCode: 0, errMsg: 'ok', data: 6 } })).toBe(6);
    expect(() => unwrapEnvelope({ status: 200, body: { errCode: 40005, errMsg: 'order does not exist: X' } })).toThrow(expect.objectContaining({ code: 40005, detail: 'order does not exist: X', action: 'check the order number' }));
    expect(() => unwrapEnvelope({ status: 200, body: { errCode: 'uni-id-token-expired', errMsg: 'expired' } })).toThrow(expect.objectContaining({ code: 50000 }));
  });

  it('turns an error envelope into an EnvelopeError with the code, message and action', async () => {
    const t = createTransport({ baseUrl: base, requester: fetchRequester() });
    const err = await t.call('refuse', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvelopeError);
    expect(err).toBeInstanceOf(VkPayError);
    expect(err).toMatchObject({ code: 40006, detail: 'order already paid: T1', action: 'no need to pay again; query the order', httpStatus: 200 });
  });

  it('reads a 404 envelope, maps unknown codes to 50000 and non-JSON bodies to 50000', async () => {
    const t = createTransport({ baseUrl: base, requester: fetchRequester() });
    await expect(t.call('nosuch', {})).rejects.toMatchObject({ code: 40001, httpStatus: 404 });
    await expect(t.call('weird', {})).rejects.toMatchObject({ code: 50000, httpStatus: 500 });
    await expect(t.call('html', {})).rejects.toMatchObject({ code: 50000, httpStatus: 502 });
  });

  it('reports a timeout and an unreachable server as network errors (40004, retryable)', async () => {
    const slow = createTransport({ baseUrl: base, timeoutMs: 200, requester: fetchRequester() });
    const e1 = await slow.call('slow', {}).catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: 40004 });
    expect((e1 as VkPayError).retryable).toBe(true);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const gone = createTransport({ baseUrl: `http://127.0.0.1:${port}`, requester: fetchRequester() });
    await expect(gone.call('echo', {})).rejects.toMatchObject({ code: 40004 });
  });

  it('builds same-origin URLs for an empty base and rejects method names that are not identifiers', () => {
    expect(methodUrl('', 'queryPayment')).toBe('/http/vk-pay-co/queryPayment');
    expect(methodUrl('https://x.example/api/', 'getStats')).toBe('https://x.example/api/http/vk-pay-co/getStats');
    expect(() => methodUrl('', '../admin')).toThrow(VkPayError);
    expect(() => methodUrl('', '_before')).toThrow(VkPayError);
  });

  it('accepts a body a platform already parsed (uni.request parses JSON)', () => {
    expect(unwrapEnvelope({ status: 200, body: { code: 0, msg: 'ok', data: { a: 1 } } })).toEqual({ a: 1 });
    expect(() => unwrapEnvelope({ status: 200, body: { msg: 'no code' } })).toThrow(VkPayError);
  });
});

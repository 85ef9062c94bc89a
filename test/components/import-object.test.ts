/**
 * The cloud object called the way uniCloud.importObject calls it: its rule is to resolve with the reply when
 * `errCode` is falsy and to throw an error carrying `errCode`/`errMsg`/`errSubject` when it is truthy. Against
 * the running host, a failure must throw with the table code (and the success reply keeps VK's code/msg), and the
 * client's uniCloud transport must turn that throw back into the same EnvelopeError the HTTP transport gives.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../../local/host';
import { EnvelopeError, createHttpTransport, createUniCloudTransport, fetchRequester, type UniCloudClient } from '../../uni_modules/vk-pay/components/vk-pay/transport';

let home: string;
let host: Host;
let token: string;

/** importObject's contract: call the object, throw on a truthy errCode. The wire is the host's URL-ized route. */
function importObjectLike(base: string, uniIdToken: () => string): UniCloudClient {
  return {
    importObject(name) {
      return new Proxy({}, {
        get: (_t, method: string) => async (params?: object) => {
          const res = await fetch(`${base}/http/${name}/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', 'uni-id-token': uniIdToken() }, body: JSON.stringify(params ?? {}) });
          const reply = (await res.json()) as { errCode?: unknown; errMsg?: string; errSubject?: string };
          if (reply.errCode) throw Object.assign(new Error(reply.errMsg), { errCode: reply.errCode, errMsg: reply.errMsg, errSubject: reply.errSubject });
          return reply;
        },
      }) as Record<string, (params?: object) => Promise<unknown>>;
    },
  };
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-import-object-'));
  host = await startHost({ port: 0, home, quiet: true, timers: false });
  const res = await fetch(`${host.url}/__dev/login`, { method: 'POST', body: JSON.stringify({ uid: 'importer' }) });
  token = ((await res.json()) as { token: string }).token;
}, 120_000);

afterAll(async () => {
  await host?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('vk-pay-co under importObject rules', () => {
  it('a failure throws with the table code in errCode, errSubject vk-pay; success resolves with both conventions', async () => {
    const obj = importObjectLike(host.url, () => token).importObject('vk-pay-co');
    const err = (await obj.queryPayment({ out_trade_no: 'NOSUCHORDER01' }).catch((e: unknown) => e)) as { errCode: number; errSubject: string; errMsg: string };
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ errCode: 40005, errSubject: 'vk-pay' });
    expect(err.errMsg).toContain('order does not exist');
    const badParams = (await obj.createPayment({ provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: -1 }).catch((e: unknown) => e)) as { errCode: number };
    expect(badParams.errCode).toBe(40001);
    const ok = (await obj.getPayOptions({})) as Record<string, unknown>;
    expect(ok).toMatchObject({ errCode: 0, errMsg: 'ok', code: 0, msg: 'ok' });
  });

  it('the client transports agree: uniCloud transport and HTTP transport give the same EnvelopeError', async () => {
    const viaCloud = createUniCloudTransport(importObjectLike(host.url, () => token));
    const viaHttp = createHttpTransport({ baseUrl: host.url, uniIdToken: () => token, requester: fetchRequester() });
    const e1 = await viaCloud.call('queryPayment', { out_trade_no: 'NOSUCHORDER02' }).catch((e: unknown) => e);
    const e2 = await viaHttp.call('queryPayment', { out_trade_no: 'NOSUCHORDER02' }).catch((e: unknown) => e);
    for (const e of [e1, e2]) {
      expect(e).toBeInstanceOf(EnvelopeError);
      expect(e).toMatchObject({ code: 40005, action: 'check the order number' });
    }
    const created = await viaCloud.call<{ out_trade_no: string; amount: number }>('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount: 88 });
    expect(created.amount).toBe(88);
    expect(await viaHttp.call('queryPayment', { out_trade_no: created.out_trade_no })).toMatchObject({ status: 'pending', amount: 88 });
  });
});

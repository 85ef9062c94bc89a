/**
 * WeChat Pay v2 refunds over mutual TLS (/secapi/pay/refund): the sandbox serves them on an https listener that
 * completes the handshake only with a client certificate of its CA for this merchant, as WeChat does. vk-pay
 * sends the merchant's API certificate - apiclient_cert.p12 with the mchId as passphrase, or the PEM pair - through
 * the HttpClient; without one, or with the wrong passphrase, the refund is refused with 40003 and nothing moves.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { all } from '../support/db';
import { baseConfig, startHarness, timerNow, type Harness, type SecureSandbox } from '../support/harness';
import type { SandboxCredentials } from '../../../sandbox/credentials';
import { postSecapi } from '../support/secapi';

let h: Harness | undefined;
afterEach(async () => { await h?.close(); h = undefined; });

type Cert = (secure: SecureSandbox, creds: SandboxCredentials) => Record<string, unknown>;

async function v2With(cert: Cert): Promise<Harness> {
  return startHarness({
    wxpayChannel: 'wxpay-v2',
    requireClientCert: true,
    config: (base, creds, secure) => {
      const providers = baseConfig(base, creds).providers as Record<string, Record<string, unknown>>;
      return { providers: { ...providers, 'wxpay-v2': { ...providers['wxpay-v2'], secapiBaseUrl: `${secure!.base}/sandbox/wxpay/`, caPem: secure!.tls.caPem, ...cert(secure!, creds) } } };
    },
  });
}

async function paidOrder(hh: Harness): Promise<string> {
  const r = await hh.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 800 }, { uid: 'r1' });
  expect(hh.sandbox.control.pay('wxpay-v2', r.out_trade_no)).toMatchObject({ ok: true });
  expect(await hh.sandbox.control.settled()).toBe(true);
  return r.out_trade_no;
}

const p12 = (s: SecureSandbox) => ({ clientP12: s.tls.clientP12 });

describe('v2 refunds need the merchant API certificate', () => {
  it('apiclient_cert.p12 (passphrase = mchId) -> the refund goes over mutual TLS and settles', async () => {
    h = await v2With(p12);
    const no = await paidOrder(h);
    const refund = await h.call('refund', { out_trade_no: no, amount: 300 }, { admin: true });
    expect(refund).toMatchObject({ amount: 300 });
    expect(h.sandbox.control.order('wxpay-v2', no)).toMatchObject({ refunded: 300 });
    expect(await h.sandbox.control.settled()).toBe(true);
    await timerNow(h);
    expect((await all(h.t.db, 'refund_records'))[0]).toMatchObject({ status: 'success', amount: 300 });
  });

  it('the PEM pair (apiclient_key.pem + apiclient_cert.pem) works the same; a Buffer p12 too', async () => {
    h = await v2With((s) => ({ clientKeyPem: s.tls.clientKeyPem, clientCertPem: s.tls.clientCertPem }));
    const no = await paidOrder(h);
    await h.call('refund', { out_trade_no: no, amount: 100 }, { admin: true });
    expect(h.sandbox.control.order('wxpay-v2', no)).toMatchObject({ refunded: 100 });
    await h.close();
    h = await v2With((s) => ({ clientP12: Buffer.from(s.tls.clientP12, 'base64') }));
    const no2 = await paidOrder(h);
    await h.call('refund', { out_trade_no: no2, amount: 100 }, { admin: true });
    expect(h.sandbox.control.order('wxpay-v2', no2)).toMatchObject({ refunded: 100 });
  });

  it('no certificate configured -> 40003 naming what to set, nothing sent, the money stays refundable', async () => {
    h = await v2With(() => ({}));
    const no = await paidOrder(h);
    await expect(h.call('refund', { out_trade_no: no, amount: 300 }, { admin: true })).rejects.toMatchObject({ code: 40003, message: expect.stringContaining('clientP12') });
    expect(h.sandbox.control.order('wxpay-v2', no)).toMatchObject({ refunded: 0 });
    expect(await h.call('refund', { out_trade_no: no, amount: 800, out_refund_no: 'again-full-1' }, { admin: true }).catch((e) => e.code)).toBe(40003);
    const order = (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;
    expect(order).toMatchObject({ status: 'paid', refunded_amount: 0, refund_in_flight: 0 });
  });

  it('a wrong passphrase -> 40003 naming wxpay.clientP12 as soon as the channel is used, before anything is sent', async () => {
    h = await v2With((s) => ({ clientP12: s.tls.clientP12, clientP12Passphrase: 'not-the-mchid' }));
    await expect(h.call('createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 800 }, { uid: 'r1' }))
      .rejects.toMatchObject({ code: 40003, message: expect.stringContaining('wxpay.clientP12: the passphrase does not open it') });
    expect(h.sandbox.control.notifications()).toHaveLength(0);
  });
});

describe('the sandbox refuses a client without the certificate, as WeChat does', () => {
  const post = postSecapi;

  it('no client certificate, or one another CA issued: no handshake; plain HTTP: 证书错误', async () => {
    h = await v2With(p12);
    const url = `${h.secure!.base}/sandbox/wxpay/secapi/pay/refund`;
    expect((await post(url, { ca: h.secure!.tls.caPem })).error).toBeDefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vkpay-othercert-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '2', '-subj', `/CN=${h.creds.wxpay.mchId}`], { stdio: 'ignore' });
      const forged = await post(url, { ca: h.secure!.tls.caPem, key: readFileSync(path.join(dir, 'k.pem')), cert: readFileSync(path.join(dir, 'c.pem')) });
      expect(forged.error).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // the right certificate completes the handshake (the empty body is then refused by the gateway's own checks)
    expect(await post(url, { ca: h.secure!.tls.caPem, key: h.secure!.tls.clientKeyPem, cert: h.secure!.tls.clientCertPem })).toMatchObject({ status: 200, body: expect.stringContaining('FAIL') });
    // the same refund over the plain listener carries no certificate
    const { signV2 } = await import('../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/signing');
    const { buildV2Xml } = await import('../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/xml');
    const fields: Record<string, string> = { appid: h.creds.wxpay.appId, mch_id: h.creds.wxpay.mchId, nonce_str: 'n1', out_trade_no: 'x123456', out_refund_no: 'r123456', total_fee: '1', refund_fee: '1' };
    fields.sign = signV2(fields, h.creds.wxpay.apiV2Key, 'MD5');
    const plain = await fetch(`${h.base}/sandbox/wxpay/secapi/pay/refund`, { method: 'POST', body: buildV2Xml(fields) });
    expect(await plain.text()).toContain('证书错误');
  });
});

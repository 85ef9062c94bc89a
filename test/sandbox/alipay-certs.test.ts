/**
 * The sandbox's Alipay certificate mode against code nobody here wrote: the official alipay-sdk, given the
 * sandbox's three certificate files, computes the SNs the gateway expects (the gateway computes them from what
 * it put into the certificates, not by parsing), its requests pass and its validateSign accepts the answers,
 * which carry alipay_cert_sn. Missing or wrong SNs get Alipay's refusals; a public-key app naming a
 * certificate is refused too.
 */
import { X509Certificate } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipayCertSn, alipayRootCertSn, splitPemCertificates } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/cert';
import { generateAlipayCerts, type AlipayCertsFile } from '../../sandbox/alipay/certs';
import { createAlipayProvider } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { createFetchHttpClient } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { alipayCall, control, startSandbox, tradeNo, type RunningSandbox } from './helpers';

let s: RunningSandbox;
let files: AlipayCertsFile;
beforeAll(async () => {
  s = await startSandbox({ persist: false, keyModes: { alipay: 'cert' } });
  files = (await s.sandbox.certModes.alipay()).files;
});
afterAll(async () => { await s.close(); });

function certSdk(over: { appCertContent?: string; alipayRootCertContent?: string } = {}): AlipaySdk {
  return new AlipaySdk({
    appId: s.creds.alipay.appId, privateKey: s.creds.alipay.app.privateKeyPem, keyType: 'PKCS8',
    appCertContent: over.appCertContent ?? files.appCertPem, alipayPublicCertContent: files.alipayCertPem,
    alipayRootCertContent: over.alipayRootCertContent ?? files.rootBundlePem, gateway: `${s.base}/sandbox/alipay/gateway.do`,
  });
}

describe('Alipay certificate mode', () => {
  it('the certificates are real X.509: app and Alipay certificates over their keys, issued under the RSA root; the bundle mixes in an ECDSA root', () => {
    const roots = splitPemCertificates(files.rootBundlePem).map((p) => new X509Certificate(p));
    expect(roots).toHaveLength(3);
    expect(roots.map((r) => r.publicKey.asymmetricKeyType)).toEqual(['rsa', 'rsa', 'ec']);
    const [leaf, intermediate] = splitPemCertificates(files.alipayCertPem).map((p) => new X509Certificate(p));
    const app = new X509Certificate(files.appCertPem);
    for (const c of [leaf, app]) expect(c.checkIssued(intermediate) && c.verify(intermediate.publicKey)).toBe(true);
    expect(intermediate.verify(roots[1].publicKey)).toBe(true);
    const spki = (k: X509Certificate['publicKey'] | string) => (typeof k === 'string' ? k : k.export({ type: 'spki', format: 'pem' }));
    expect(spki(app.publicKey)).toBe(s.creds.alipay.app.publicKeyPem);
    expect(spki(leaf.publicKey)).toBe(s.creds.alipay.alipay.publicKeyPem);
  });

  it('alipay-sdk and vk-pay compute the SNs the gateway expects (two RSA roots joined by _, the ECDSA root left out)', () => {
    const cfg = (certSdk() as unknown as { config: { appCertSn: string; alipayCertSn: string; alipayRootCertSn: string } }).config;
    expect(cfg.appCertSn).toBe(files.sn.app_cert_sn);
    expect(cfg.alipayCertSn).toBe(files.sn.alipay_cert_sn);
    expect(cfg.alipayRootCertSn).toBe(files.sn.alipay_root_cert_sn);
    expect(files.sn.alipay_root_cert_sn.split('_')).toHaveLength(2);
    expect(alipayCertSn(files.appCertPem, 'app')).toBe(files.sn.app_cert_sn);
    expect(alipayCertSn(files.alipayCertPem, 'alipay')).toBe(files.sn.alipay_cert_sn);
    expect(alipayRootCertSn(files.rootBundlePem, 'root')).toBe(files.sn.alipay_root_cert_sn);
  });

  it('alipay-sdk in certificate mode: requests accepted, answers carry alipay_cert_sn and pass validateSign', async () => {
    const no = tradeNo();
    const pre = await certSdk().exec('alipay.trade.precreate', { bizContent: { outTradeNo: no, totalAmount: '0.01', subject: '证书模式' } }, { validateSign: true });
    expect(pre).toMatchObject({ code: '10000', outTradeNo: no });
    const raw = await alipayCall(s, 'alipay.trade.query', { out_trade_no: no }, { extra: { app_cert_sn: files.sn.app_cert_sn, alipay_root_cert_sn: files.sn.alipay_root_cert_sn } });
    expect(raw.json()).toMatchObject({ alipay_trade_query_response: { code: '10000', trade_status: 'WAIT_BUYER_PAY' }, alipay_cert_sn: files.sn.alipay_cert_sn });
    expect(raw.text.indexOf('"alipay_cert_sn"')).toBeLessThan(raw.text.indexOf('"sign"'));
  });

  it('missing or wrong SNs: 40001 isv.missing-*, 40002 isv.app-cert-not-exist / isv.invalid-alipay-root-cert-sn', async () => {
    const q = (extra: Record<string, string>) => alipayCall(s, 'alipay.trade.query', { out_trade_no: 'X1' }, { extra }).then((r) => r.json().alipay_trade_query_response);
    const sn = files.sn;
    expect(await q({})).toMatchObject({ code: '40001', sub_code: 'isv.missing-app-cert-sn' });
    expect(await q({ app_cert_sn: sn.app_cert_sn })).toMatchObject({ code: '40001', sub_code: 'isv.missing-alipay-root-cert-sn' });
    expect(await q({ app_cert_sn: sn.alipay_cert_sn, alipay_root_cert_sn: sn.alipay_root_cert_sn })).toMatchObject({ code: '40002', sub_code: 'isv.app-cert-not-exist' });
    const oneRoot = sn.alipay_root_cert_sn.split('_')[1];
    expect(await q({ app_cert_sn: sn.app_cert_sn, alipay_root_cert_sn: oneRoot })).toMatchObject({ code: '40002', sub_code: 'isv.invalid-alipay-root-cert-sn' });
    // alipay-sdk given a root bundle that is not Alipay's (its own app certificate) gets the same refusal
    const r = await certSdk({ alipayRootCertContent: files.appCertPem }).exec('alipay.trade.query', { bizContent: { outTradeNo: 'X2' } });
    expect(r).toMatchObject({ code: '40002', subCode: 'isv.invalid-alipay-root-cert-sn' });
  });

  it('vk-pay in certificate mode: a wrong root bundle is a configuration error (40003, Alipay\'s sub_code kept); an answer under another alipay_cert_sn is followed by one download of that certificate', async () => {
    const ctx = { http: createFetchHttpClient(), budgetMs: 5_000, timeoutMs: 3_000 };
    const provider = (over: Partial<{ alipayCertPem: string; alipayRootCertPem: string }>) => createAlipayProvider({
      appId: s.creds.alipay.appId, sellerId: s.creds.alipay.sellerId, appPrivateKeyPem: s.creds.alipay.app.privateKeyPem,
      appCertPem: files.appCertPem, alipayCertPem: files.alipayCertPem, alipayRootCertPem: files.rootBundlePem, gatewayUrl: `${s.base}/sandbox/alipay/gateway.do`, ...over,
    }, ctx);
    await expect(provider({}).queryOrder('X4')).resolves.toMatchObject({ state: 'not_found' });
    const wrongRoot = splitPemCertificates(files.rootBundlePem)[1];
    await expect(provider({ alipayRootCertPem: wrongRoot }).queryOrder('X4')).rejects.toMatchObject({ code: 40003, providerCode: 'isv.invalid-alipay-root-cert-sn' });
    // configured with a certificate Alipay no longer answers under (another one over the same key): the answer's
    // alipay_cert_sn is downloaded once, chains to the configured root, and verifies the answer
    const certs = await s.sandbox.certModes.alipay();
    const before = certs.downloads;
    const other = generateAlipayCerts(s.creds.alipay, Date.now());
    const stale = provider({ alipayCertPem: other.alipayCertPem });
    await expect(stale.queryOrder('X4')).resolves.toMatchObject({ state: 'not_found' });
    await expect(stale.queryOrder('X5')).resolves.toMatchObject({ state: 'not_found' });
    expect(certs.downloads - before).toBe(1);
  });

  it('back in public-key mode the gateway refuses a request that names a certificate, and answers without alipay_cert_sn', async () => {
    expect((await control(s, 'key-mode', { channel: 'alipay', mode: 'public-key' })).json()).toMatchObject({ alipay: 'public-key' });
    try {
      const named = await alipayCall(s, 'alipay.trade.query', { out_trade_no: 'X3' }, { extra: { app_cert_sn: files.sn.app_cert_sn, alipay_root_cert_sn: files.sn.alipay_root_cert_sn } });
      expect(named.json().alipay_trade_query_response).toMatchObject({ code: '40002', sub_code: 'isv.app-cert-not-exist' });
      const plain = await alipayCall(s, 'alipay.trade.query', { out_trade_no: 'X3' });
      expect(plain.json().alipay_trade_query_response).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
      expect(plain.text).not.toContain('alipay_cert_sn');
    } finally {
      const back = await control(s, 'key-mode', { channel: 'alipay', mode: 'cert' });
      expect(back.json()).toMatchObject({ alipay: 'cert', sn: files.sn });
    }
  });
});

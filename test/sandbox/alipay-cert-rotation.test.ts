/**
 * Alipay changing its own certificate (docs/PROTOCOLS.md section 4), seen from the sandbox and from vk-pay's
 * provider. The sandbox's side is checked with node:crypto alone: `rotate-alipay-cert` adds a certificate issued
 * under the sandbox's root, `alipay.open.app.alipaycert.download` is signature-checked like every method and
 * hands it out as base64 of its PEM, and after `switch` answers are signed by it under its SN. vk-pay follows the
 * change with exactly one download, shared by concurrent calls; a fake gateway that offers a forged certificate
 * (self-signed, or claiming the sandbox's intermediate as issuer) is refused with 40002 and asked once a minute.
 */
import { createSign, createVerify, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCertificate, derToPem, type DistinguishedName } from '../../sandbox/appleiap/pki';
import type { AlipayCerts } from '../../sandbox/alipay/certs';
import { createFetchHttpClient } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createAlipayProvider } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { alipayCertSn, splitPemCertificates } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/cert';
import { forgetAlipayCertificates } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/cert-store';
import { startFixture, type Fixture, type SeenRequest } from '../core/providers/gateway-fixture';
import { alipayCall, control, startSandbox, tradeNo, type RunningSandbox } from './helpers';

let s: RunningSandbox;
let certs: AlipayCerts;
beforeAll(async () => {
  s = await startSandbox({ persist: false, keyModes: { alipay: 'cert' } });
  certs = await s.sandbox.certModes.alipay();
  forgetAlipayCertificates();
});
afterAll(async () => { await s.close(); });

const ctx = () => ({ http: createFetchHttpClient(), budgetMs: 5_000, timeoutMs: 3_000 });
const certParams = () => ({ app_cert_sn: certs.files.sn.app_cert_sn, alipay_root_cert_sn: certs.files.sn.alipay_root_cert_sn });
const download = (sn: string | undefined, opts: { key?: string } = {}) =>
  alipayCall(s, 'alipay.open.app.alipaycert.download', sn === undefined ? {} : { alipay_cert_sn: sn }, { extra: certParams(), ...opts });
const sandboxProvider = (gatewayUrl = `${s.base}/sandbox/alipay/gateway.do`) => createAlipayProvider({
  appId: s.creds.alipay.appId, sellerId: s.creds.alipay.sellerId, appPrivateKeyPem: s.creds.alipay.app.privateKeyPem,
  appCertPem: certs.files.appCertPem, alipayCertPem: certs.files.alipayCertPem, alipayRootCertPem: certs.files.rootBundlePem, gatewayUrl,
}, ctx());

/** The answer's `*_response` text verifies under `key` (the sandbox escapes slashes as Alipay does). */
function answerSignedBy(text: string, key: KeyObject): boolean {
  const doc = JSON.parse(text);
  const inner = JSON.stringify(doc.alipay_trade_query_response).replace(/\//g, '\\/');
  return createVerify('RSA-SHA256').update(inner).verify(key, doc.sign, 'base64');
}

describe('the sandbox changes Alipay\'s certificate', () => {
  it('add: a second certificate, issued under the root, downloadable by its SN; Alipay still signs under the first', async () => {
    const first = certs.files.sn.alipay_cert_sn;
    const added = (await control(s, 'rotate-alipay-cert', { step: 'add' })).json();
    expect(added).toMatchObject({ ok: true, step: 'add', signing: first });
    expect(added.certificates).toHaveLength(2);
    const fresh = added.certificates[1] as string;
    expect(fresh).toMatch(/^[0-9a-f]{32}$/);

    const res = await download(fresh);
    const body = res.json().alipay_open_app_alipaycert_download_response;
    expect(body).toMatchObject({ code: '10000' });
    const pem = Buffer.from(body.alipay_cert_content, 'base64').toString('utf8');
    const [leaf, intermediate] = splitPemCertificates(pem).map((p) => new X509Certificate(p));
    const roots = splitPemCertificates(certs.files.rootBundlePem).map((p) => new X509Certificate(p));
    expect(leaf.checkIssued(intermediate) && leaf.verify(intermediate.publicKey)).toBe(true);
    expect(roots.some((r) => intermediate.checkIssued(r) && intermediate.verify(r.publicKey))).toBe(true);
    expect(alipayCertSn(pem, 'downloaded')).toBe(fresh);
    expect(leaf.publicKey.export({ type: 'spki', format: 'pem' })).not.toBe(s.creds.alipay.alipay.publicKeyPem);
    // the download's answer is signed like every answer, by the certificate Alipay signs under now
    expect(res.json().alipay_cert_sn).toBe(first);

    const q = await alipayCall(s, 'alipay.trade.query', { out_trade_no: tradeNo() }, { extra: certParams() });
    expect(q.json().alipay_cert_sn).toBe(first);
  });

  it('switch: answers are signed by the new certificate\'s key and name its SN', async () => {
    const [, fresh] = (await control(s, 'rotate-alipay-cert', { step: 'switch' })).json().certificates as string[];
    const q = await alipayCall(s, 'alipay.trade.query', { out_trade_no: tradeNo() }, { extra: certParams() });
    expect(q.json().alipay_cert_sn).toBe(fresh);
    const pem = Buffer.from((await download(fresh)).json().alipay_open_app_alipaycert_download_response.alipay_cert_content, 'base64').toString('utf8');
    expect(answerSignedBy(q.text, new X509Certificate(pem).publicKey)).toBe(true);
    expect(answerSignedBy(q.text, new X509Certificate(certs.files.alipayCertPem).publicKey)).toBe(false);
  });

  it('the download is signature-checked; a missing or unknown SN is refused', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const forged = await download(certs.files.sn.alipay_cert_sn, { key: stranger });
    expect(forged.json().alipay_open_app_alipaycert_download_response).toMatchObject({ code: '40002', sub_code: 'isv.invalid-signature' });
    expect(forged.text).not.toContain('alipay_cert_content');
    expect((await download(undefined)).json().alipay_open_app_alipaycert_download_response).toMatchObject({ code: '40001', sub_code: 'isv.missing-alipay-cert-sn' });
    expect((await download(randomBytes(16).toString('hex'))).json().alipay_open_app_alipaycert_download_response).toMatchObject({ code: '40004', sub_code: 'isv.alipay-cert-not-exist' });
    // a request without the certificate SNs does not get that far
    const bare = await alipayCall(s, 'alipay.open.app.alipaycert.download', { alipay_cert_sn: certs.files.sn.alipay_cert_sn });
    expect(bare.json().alipay_open_app_alipaycert_download_response).toMatchObject({ code: '40001', sub_code: 'isv.missing-app-cert-sn' });
  });

  it('rotating is a certificate-mode action; steps are add, switch or all', async () => {
    expect((await control(s, 'rotate-alipay-cert', { step: 'retire' })).status).toBe(400);
    await control(s, 'key-mode', { channel: 'alipay', mode: 'public-key' });
    try {
      const refused = await control(s, 'rotate-alipay-cert', {});
      expect(refused.status).toBe(400);
      expect(refused.json().message).toContain('cert mode');
    } finally {
      await control(s, 'key-mode', { channel: 'alipay', mode: 'cert' });
    }
  });
});

describe('vk-pay follows Alipay\'s change of certificate', () => {
  it('answers under a new SN verify after exactly one download, shared by concurrent calls', async () => {
    forgetAlipayCertificates();
    const p = sandboxProvider();
    const no = tradeNo();
    await p.createOrder({ out_trade_no: no, amount: 100, subject: '证书轮换', pay_type: 'qr', notify_url: 'https://example.com/n', expires_at: Date.now() + 600_000 } as never);
    const before = certs.downloads;
    const { signing } = (await control(s, 'rotate-alipay-cert', { step: 'all' })).json();
    expect(signing).not.toBe(certs.files.sn.alipay_cert_sn);
    const answers = await Promise.all(Array.from({ length: 6 }, () => p.queryOrder(no)));
    expect(answers.map((a) => a.state)).toEqual(Array(6).fill('pending'));
    expect(certs.downloads - before).toBe(1);
    // a provider made afterwards (a new request) uses what was downloaded
    await expect(sandboxProvider().queryOrder(no)).resolves.toMatchObject({ state: 'pending' });
    expect(certs.downloads - before).toBe(1);
  });
});

const FAKE_ISSUER: DistinguishedName = [['C', 'CN'], ['O', 'Ant Financial'], ['OU', 'Certification Authority'], ['CN', 'Ant Financial Certification Authority Class 1 R1']];
const LEAF_NAME: DistinguishedName = [['C', 'CN'], ['O', 'vk-pay sandbox'], ['OU', 'Alipay.com'], ['CN', '支付宝(中国)网络技术有限公司']];

/** A certificate over a fresh key, signed by that key: self-signed (its own name) or claiming the intermediate's name. */
function forgedCert(issuerName: DistinguishedName): { pem: string; key: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Date.now();
  const pem = derToPem(buildCertificate({
    subject: '', issuer: '', subjectName: LEAF_NAME, issuerName, serial: Buffer.from([0x21, ...randomBytes(15)]),
    signature: 'rsa-sha256', publicKey, signingKey: privateKey, notBefore: now - 60_000, notAfter: now + 365 * 86_400_000, ca: false,
  }));
  return { pem, key: privateKey };
}

describe('a fake gateway offering a forged certificate', () => {
  let gw: Fixture;
  beforeAll(async () => { gw = await startFixture(); });
  afterAll(async () => { await gw.close(); });

  const method = (req: SeenRequest) => new URL(req.url, 'http://x').searchParams.get('method');

  for (const [label, issuer] of [['self-signed', LEAF_NAME], ['claiming the sandbox intermediate as issuer', FAKE_ISSUER]] as const) {
    it(`${label}: refused with 40002, asked once a minute, and a genuine answer still verifies`, async () => {
      forgetAlipayCertificates();
      const forged = forgedCert(issuer);
      const sn = alipayCertSn(forged.pem, 'forged');
      gw.seen.length = 0;
      gw.handle((req) => {
        if (method(req) === 'alipay.open.app.alipaycert.download') {
          const inner = JSON.stringify({ code: '10000', msg: 'Success', alipay_cert_content: Buffer.from(forged.pem).toString('base64') });
          return { status: 200, body: `{"alipay_open_app_alipaycert_download_response":${inner},"alipay_cert_sn":"${sn}","sign":"${createSign('RSA-SHA256').update(inner).sign(forged.key, 'base64')}"}` };
        }
        const inner = JSON.stringify({ code: '10000', msg: 'Success', out_trade_no: 'F1', trade_no: '2026', trade_status: 'TRADE_SUCCESS', total_amount: '1.00' });
        return { status: 200, body: `{"alipay_trade_query_response":${inner},"alipay_cert_sn":"${sn}","sign":"${createSign('RSA-SHA256').update(inner).sign(forged.key, 'base64')}"}` };
      });
      const p = sandboxProvider(`${gw.origin}/gateway.do`);
      const err = await p.queryOrder('F1').catch((e) => e);
      expect(err).toMatchObject({ code: 40002 });
      expect(String(err.detail ?? err.message)).toMatch(/does not chain to the configured alipayRootCertPem/);
      expect(gw.seen.filter((r) => method(r) === 'alipay.open.app.alipaycert.download')).toHaveLength(1);
      // nothing was taken in (a held key would verify this time) and, within the minute, Alipay is not asked again
      await expect(p.queryOrder('F1')).rejects.toMatchObject({ code: 40002 });
      expect(gw.seen.filter((r) => method(r) === 'alipay.open.app.alipaycert.download')).toHaveLength(1);
      // the sandbox's genuine answers still verify
      await expect(sandboxProvider().queryOrder(tradeNo())).resolves.toMatchObject({ state: 'not_found' });
    });
  }

  it('an SN Alipay does not know (the download is refused) stays refused (40002)', async () => {
    forgetAlipayCertificates();
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const sn = randomBytes(16).toString('hex');
    gw.seen.length = 0;
    gw.handle((req) => {
      if (method(req) === 'alipay.open.app.alipaycert.download') {
        return { status: 200, body: '{"alipay_open_app_alipaycert_download_response":{"code":"40004","msg":"Business Failed","sub_code":"isv.alipay-cert-not-exist","sub_msg":"支付宝公钥证书不存在"}}' };
      }
      const inner = JSON.stringify({ code: '10000', msg: 'Success', out_trade_no: 'F2', trade_status: 'TRADE_SUCCESS', total_amount: '1.00' });
      return { status: 200, body: `{"alipay_trade_query_response":${inner},"alipay_cert_sn":"${sn}","sign":"${createSign('RSA-SHA256').update(inner).sign(stranger, 'base64')}"}` };
    });
    const err = await sandboxProvider(`${gw.origin}/gateway.do`).queryOrder('F2').catch((e) => e);
    expect(err).toMatchObject({ code: 40002 });
    expect(String(err.detail ?? err.message)).toContain('isv.alipay-cert-not-exist');
    expect(gw.seen.filter((r) => method(r) === 'alipay.open.app.alipaycert.download')).toHaveLength(1);
  });
});

/**
 * Platform-certificate mode with a real X.509 certificate (made with the openssl CLI): the verify key may be a
 * certificate PEM under its hex serial, side by side with a WeChat Pay public key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { SignatureError } from '../../../uni_modules/vk-pay/common/errors';
import { createWxpayProvider, fetchWxpayPlatformCertificates } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { encryptAeadAes256Gcm } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { rsaPair, startFixture, type Fixture } from './gateway-fixture';
import { API_V3_KEY, APPID, MCHID, merchant, MERCHANT_SERIAL, notification, platform, PUB_KEY_ID, requestVerifies, signedAnswer, errorAnswer } from './wxpay-fixture';

function makeCert(keyPem: string, serialHex: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vkpay-cert-'));
  const keyFile = path.join(dir, 'key.pem');
  writeFileSync(keyFile, keyPem);
  const pem = execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=Tenpay.com Root CA/O=Tenpay.com', '-days', '2', '-set_serial', `0x${serialHex}`], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
  rmSync(dir, { recursive: true, force: true });
  return pem;
}

let gw: Fixture;
beforeAll(async () => { gw = await startFixture(); });
afterAll(async () => { await gw.close(); });

describe('wxpay platform certificate mode', () => {
  it('a certificate PEM verifies notifications under its serial; its key does not pass under another serial', async () => {
    const certKey = rsaPair();
    const dir = mkdtempSync(path.join(tmpdir(), 'vkpay-cert-'));
    const keyFile = path.join(dir, 'key.pem');
    writeFileSync(keyFile, certKey.privateKeyPem);
    const pem = execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=Tenpay.com Root CA/O=Tenpay.com', '-days', '2', '-set_serial', '0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
    rmSync(dir, { recursive: true, force: true });
    const serial = new X509Certificate(pem).serialNumber.toUpperCase();
    expect(serial).toBe('5157F09EFDC096DE15EBE81A47057A7232F1B8E1');
    const p = createWxpayProvider({
      appId: APPID, mchId: MCHID, apiV3Key: API_V3_KEY, merchant: { serialNo: MERCHANT_SERIAL, privateKeyPem: merchant.privateKeyPem },
      verifyKeys: [{ serial: PUB_KEY_ID, publicKeyPem: platform.publicKeyPem }, { serial, publicKeyPem: pem }],
    }, { http: async () => { throw new Error('unused'); } });
    const txn = { appid: APPID, mchid: MCHID, out_trade_no: 'VK1000001', transaction_id: '42', trade_state: 'SUCCESS', amount: { total: 1 } };
    await expect(p.verifyNotification(notification('TRANSACTION.SUCCESS', txn, { serial, key: certKey.privateKeyPem }))).resolves.toMatchObject({ kind: 'paid', amount: 1 });
    await expect(p.verifyNotification(notification('TRANSACTION.SUCCESS', txn, { serial: PUB_KEY_ID, key: certKey.privateKeyPem }))).rejects.toBeInstanceOf(SignatureError);
    await expect(p.verifyNotification(notification('TRANSACTION.SUCCESS', txn))).resolves.toMatchObject({ kind: 'paid' });
  });

  it('downloads /v3/certificates: decrypts with the APIv3 key, verifies the answer with the downloaded certificate', async () => {
    const certKey = rsaPair();
    const serial = '6E4A1C0D2B3F5A7988776655443322110FEDCBA9';
    const pem = makeCert(certKey.privateKeyPem, serial);
    const body = (apiV3Key: string, listed = serial) => JSON.stringify({ data: [{ serial_no: listed, effective_time: '2026-01-01T00:00:00+08:00', expire_time: '2031-01-01T00:00:00+08:00', encrypt_certificate: { algorithm: 'AEAD_AES_256_GCM', associated_data: 'certificate', nonce: 'a1b2c3d4e5f6', ciphertext: encryptAeadAes256Gcm(apiV3Key, 'a1b2c3d4e5f6', 'certificate', pem) } }] });
    const cfg = { appId: APPID, mchId: MCHID, apiV3Key: API_V3_KEY, merchant: { serialNo: MERCHANT_SERIAL, privateKeyPem: merchant.privateKeyPem }, baseUrl: `${gw.origin}/sandbox/wxpay/` };
    const ctx = { http: createFetchHttpClient(), budgetMs: 2000, timeoutMs: 1000 };
    gw.handle((req) => (requestVerifies(req) && req.url === '/sandbox/wxpay/v3/certificates' ? signedAnswer(200, body(API_V3_KEY), { serial, key: certKey.privateKeyPem }) : errorAnswer(401, 'SIGN_ERROR', 'bad')));
    const keys = await fetchWxpayPlatformCertificates(cfg, ctx);
    // with the validity the list states (RFC 3339 with +08:00), which decides the certificate to encrypt with
    expect(keys).toEqual([{ serial, publicKeyPem: pem, effectiveAt: Date.parse('2026-01-01T00:00:00+08:00'), expiresAt: Date.parse('2031-01-01T00:00:00+08:00') }]);
    // the downloaded certificate then verifies notifications, next to a public key
    const p = createWxpayProvider({ ...cfg, verifyKeys: [{ serial: PUB_KEY_ID, publicKeyPem: platform.publicKeyPem }, ...keys] }, ctx);
    await expect(p.verifyNotification(notification('TRANSACTION.SUCCESS', { out_trade_no: 'VK1000001', transaction_id: '1', trade_state: 'SUCCESS', amount: { total: 2 } }, { serial, key: certKey.privateKeyPem }))).resolves.toMatchObject({ amount: 2 });
    // an answer signed by anyone else, a wrong APIv3 key, or a serial that does not match the certificate: refused
    gw.handle(() => signedAnswer(200, body(API_V3_KEY), { serial, key: rsaKeyForForgery.privateKeyPem }));
    await expect(fetchWxpayPlatformCertificates(cfg, ctx)).rejects.toBeInstanceOf(SignatureError);
    gw.handle(() => signedAnswer(200, body('x'.repeat(32)), { serial, key: certKey.privateKeyPem }));
    await expect(fetchWxpayPlatformCertificates(cfg, ctx)).rejects.toBeInstanceOf(SignatureError);
    gw.handle(() => signedAnswer(200, body(API_V3_KEY, 'ABCDEF'), { serial: 'ABCDEF', key: certKey.privateKeyPem }));
    await expect(fetchWxpayPlatformCertificates(cfg, ctx)).rejects.toThrow(/serial mismatch/);
  });
});

const rsaKeyForForgery = rsaPair();

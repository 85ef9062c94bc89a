/**
 * Platform-certificate mode with a real X.509 certificate (made with the openssl CLI): the verify key may be a
 * certificate PEM under its hex serial, side by side with a WeChat Pay public key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { SignatureError } from '../../../common/errors';
import { createWxpayProvider } from '../../../uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { rsaPair } from './gateway-fixture';
import { API_V3_KEY, APPID, MCHID, merchant, MERCHANT_SERIAL, notification, platform, PUB_KEY_ID } from './wxpay-fixture';

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
});

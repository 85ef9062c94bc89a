/**
 * Alipay certificate mode: our app_cert_sn / alipay_root_cert_sn equal what the official alipay-sdk computes
 * for the same certificates (made here with the openssl CLI: an RSA root, an EC root that must be skipped, an
 * app certificate and an Alipay certificate), and requests carry both SNs inside the signed content.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlipaySdk } from 'alipay-sdk';
import { KeyConfigError } from '../../../uni_modules/vk-pay/common/errors';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createAlipayProvider } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { alipayCertSn, alipayRootCertSn } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/cert';
import { startFixture, type Fixture } from './gateway-fixture';
import { alipayKeys, answer, APP_ID, appKeys, paramsOf, requestVerifies } from './alipay-fixture';

const dir = mkdtempSync(path.join(tmpdir(), 'vkpay-alipay-cert-'));
const file = (name: string, text: string) => { const p = path.join(dir, name); writeFileSync(p, text); return p; };
const ssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });

ssl('genrsa', '-out', path.join(dir, 'root.key'), '2048');
const rootRsa = ssl('req', '-x509', '-new', '-key', path.join(dir, 'root.key'), '-days', '2', '-set_serial', '0x1A2B3C4D5E6F7788',
  '-subj', '/C=CN/O=Ant Financial/OU=Certification Authority/CN=Ant Financial Certification Authority R1');
ssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(dir, 'ec.key'));
const rootEc = ssl('req', '-x509', '-new', '-key', path.join(dir, 'ec.key'), '-days', '2', '-subj', '/C=CN/O=Ant Financial/CN=Ant Financial Certification Authority E1');
file('root.pem', rootRsa);
function issue(name: string, keyPem: string, serial: string, cn: string): string {
  const keyFile = file(`${name}.key`, keyPem);
  const csr = ssl('req', '-new', '-key', keyFile, '-subj', `/C=CN/O=Merchant/OU=Alipay/CN=${cn}`);
  return execFileSync('openssl', ['x509', '-req', '-CA', path.join(dir, 'root.pem'), '-CAkey', path.join(dir, 'root.key'), '-set_serial', serial, '-days', '2'], { input: csr, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
}
const appCert = issue('app', appKeys.privateKeyPem, '0x7F3A9B2C1D0E4F5A6B7C8D9E', APP_ID);
const alipayCert = issue('alipay', alipayKeys.privateKeyPem, '0x2019082200000000000000000001', 'Alipay');
const bundle = `${rootRsa}\n${rootEc}`;

let gw: Fixture;
beforeAll(async () => { gw = await startFixture(); });
afterAll(async () => { await gw.close(); rmSync(dir, { recursive: true, force: true }); });

describe('alipay certificate mode', () => {
  it('SNs match alipay-sdk for the same certificates (RSA root kept, EC root skipped)', () => {
    const sdk = new AlipaySdk({ appId: APP_ID, privateKey: appKeys.privateKeyPem, keyType: 'PKCS8', appCertContent: appCert, alipayPublicCertContent: alipayCert, alipayRootCertContent: bundle });
    const cfg = (sdk as unknown as { config: { appCertSn: string; alipayCertSn: string; alipayRootCertSn: string } }).config;
    expect(alipayCertSn(appCert, 'appCertPem')).toBe(cfg.appCertSn);
    expect(alipayCertSn(alipayCert, 'alipayCertPem')).toBe(cfg.alipayCertSn);
    expect(alipayRootCertSn(bundle, 'alipayRootCertPem')).toBe(cfg.alipayRootCertSn);
    expect(cfg.alipayRootCertSn).not.toContain('_');
    expect(alipayRootCertSn(`${rootRsa}\n${rootRsa}`, 'x').split('_')).toHaveLength(2);
  });

  it('requests carry app_cert_sn and alipay_root_cert_sn in the signed params; the Alipay cert verifies answers', async () => {
    const p = createAlipayProvider({ appId: APP_ID, appPrivateKeyPem: appKeys.privateKeyPem, appCertPem: appCert, alipayCertPem: alipayCert, alipayRootCertPem: bundle, gatewayUrl: `${gw.origin}/gateway.do` }, { http: createFetchHttpClient() });
    gw.handle((req) => (requestVerifies(req) ? answer('alipay.trade.close', '{"code":"10000","msg":"Success"}') : { status: 500 }));
    await p.closeOrder('VK20260101000002');
    const params = paramsOf(gw.seen[0]);
    expect(params.app_cert_sn).toBe(alipayCertSn(appCert, 'a'));
    expect(params.alipay_root_cert_sn).toBe(alipayRootCertSn(bundle, 'b'));
    expect(new URL(gw.seen[0].url, 'http://x').searchParams.get('app_cert_sn')).toBe(params.app_cert_sn);
  });

  it('missing or broken certificates -> KeyConfigError naming the field', () => {
    const base = { appId: APP_ID, appPrivateKeyPem: appKeys.privateKeyPem, appCertPem: appCert, alipayCertPem: alipayCert, alipayRootCertPem: bundle };
    expect(() => createAlipayProvider({ ...base, alipayRootCertPem: undefined }, { http: createFetchHttpClient() })).toThrow(/alipay.alipayRootCertPem/);
    expect(() => createAlipayProvider({ ...base, appCertPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }, { http: createFetchHttpClient() })).toThrow(KeyConfigError);
  });
});

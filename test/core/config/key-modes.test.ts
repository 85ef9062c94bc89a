/**
 * The certificate key modes in the config: WeChat platform-certificate mode may stand without a WeChat Pay public
 * key; Alipay certificate mode replaces Alipay's public key and needs all three certificate files; a section with
 * neither mode is named at load (40003, key problems).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function config(wxpay: Record<string, unknown>, alipay: Record<string, unknown>) {
  return {
    env: 'production',
    notifyUrl: 'https://pay.example.com/http/vk-pay-notify',
    providers: {
      wxpay: { appId: 'wx1', mchId: '1900000001', apiV3Key: 'k'.repeat(32), merchant: { serialNo: 'S1', privateKeyPem: priv }, ...wxpay },
      alipay: { appId: '2021', app: { privateKeyPem: priv }, ...alipay },
    },
    orderTypes: { recharge: { amount: 'client', min: 1 } },
  };
}

const failure = (fn: () => unknown): { code?: number; message: string } => {
  try { fn(); } catch (e: any) { return { code: e.code, message: String(e.detail ?? e.message) }; }
  throw new Error('accepted');
};

describe('key modes in the config', () => {
  it('accepts platform-certificate mode alone and Alipay certificate mode without Alipay\'s public key', () => {
    const c = parseConfig(config({ platformCertificates: true }, { appCertPem: CERT, alipayCertPem: CERT, alipayRootCertPem: CERT }));
    expect(c.providers.wxpay).toMatchObject({ platformCertificates: true });
    expect(c.providers.alipay).toMatchObject({ appCertPem: CERT });
    expect(() => parseConfig(config({ platformCertificates: { minRefreshSeconds: 30, maxAgeSeconds: 3600 } }, { alipay: { publicKeyPem: pub } }))).not.toThrow();
  });

  it('names a section in neither mode, half a certificate set, and misspelt refresh tuning', () => {
    const none = failure(() => parseConfig(config({}, { alipay: { publicKeyPem: pub } })));
    expect(none.message).toMatch(/platformCertificates/);
    const half = failure(() => parseConfig(config({ platformCertificates: true }, { appCertPem: CERT })));
    expect(half.message).toMatch(/appCertPem/);
    expect(half.code).toBe(40003);
    const neither = failure(() => parseConfig(config({ platformCertificates: true }, {})));
    expect(neither.message).toMatch(/alipay/);
    const tuning = failure(() => parseConfig(config({ platformCertificates: { minRefreshSecs: 1 } }, { alipay: { publicKeyPem: pub } })));
    expect(tuning.message).toMatch(/platformCertificates/);
  });
});

/**
 * Cross-checks against code nobody here wrote: wechatpay-axios-plugin's formatter, RSA, AES and hash helpers and
 * the official alipay-sdk's verifiers and signer agree byte for byte with our builders (both directions).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlipaySdk } from 'alipay-sdk';
import * as wxplugin from 'wechatpay-axios-plugin';
import {
  buildV3RequestMessage, decryptAeadAes256Gcm, encryptAeadAes256Gcm, parseAuthorization, signSha256Rsa, signV3Request, verifyV3Signed,
} from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import { decryptReqInfo, signV2 } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/signing';
import {
  buildAlipayNotifySignContent, buildSignedAlipayResponse, signRsa2, verifyAlipayParams,
} from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import { rsaPair } from './gateway-fixture';

const { Rsa, Formatter, Aes, Hash } = wxplugin as unknown as {
  Rsa: { sign(m: string, k: string): string; verify(m: string, s: string, k: string): boolean };
  Formatter: { request(...a: unknown[]): string; response(...a: unknown[]): string; authorization(mchid: string, nonce: string, sig: string, ts: number | string, serial: string): string };
  Aes: { AesGcm: { encrypt(p: string, k: string, iv: string, aad: string): string; decrypt(c: string, k: string, iv: string, aad: string): string }; AesEcb: { encrypt(p: string, k: string): string } };
  Hash: { sign(type: string, data: object, key: string): string };
};

describe('wechatpay-axios-plugin agrees with our v3/v2 builders', () => {
  const merchant = rsaPair();
  it('request message and signature; its Authorization order parses', () => {
    const msg = buildV3RequestMessage('POST', '/sandbox/wxpay/v3/pay/transactions/native?x=1', 1700000000, 'N0NCE', '{"a":1}');
    expect(msg).toBe(Formatter.request('POST', '/sandbox/wxpay/v3/pay/transactions/native?x=1', 1700000000, 'N0NCE', '{"a":1}'));
    const header = signV3Request({ method: 'POST', pathWithQuery: '/v3/x', body: '', mchid: '1900000109', serialNo: 'S1', privateKey: merchant.privateKeyPem, timestamp: 1700000000, nonce: 'N' });
    const parts = parseAuthorization(header)!;
    expect(Rsa.verify(Formatter.request('POST', '/v3/x', 1700000000, 'N', ''), parts.signature, merchant.publicKeyPem)).toBe(true);
    const theirs = Formatter.authorization('1900000109', 'N', Rsa.sign(msg, merchant.privateKeyPem), 1700000000, 'S1');
    expect(parseAuthorization(theirs)).toMatchObject({ mchid: '1900000109', nonce: 'N', timestamp: '1700000000', serialNo: 'S1' });
  });

  it('their response signature verifies with ours; AES-GCM both ways', () => {
    const platform = rsaPair();
    const sig = Rsa.sign(Formatter.response(1700000000, 'n', '{"ok":true}'), platform.privateKeyPem);
    expect(() => verifyV3Signed({ timestamp: '1700000000', nonce: 'n', signature: sig, serial: 'K' }, '{"ok":true}', [{ serial: 'K', key: platform.publicKeyPem }], 1700000000_000)).not.toThrow();
    expect(signSha256Rsa(Formatter.response(1, 'n', ''), platform.privateKeyPem)).toBe(Rsa.sign(Formatter.response(1, 'n', ''), platform.privateKeyPem));
    const key = 'k'.repeat(32);
    expect(decryptAeadAes256Gcm(key, 'nonce1234567', '', Aes.AesGcm.encrypt('{"x":1}', key, 'nonce1234567', ''))).toBe('{"x":1}');
    expect(Aes.AesGcm.decrypt(encryptAeadAes256Gcm(key, 'nonce1234567', 'transaction', 'hi'), key, 'nonce1234567', 'transaction')).toBe('hi');
  });

  it('v2 MD5/HMAC signs and AES-256-ECB req_info', () => {
    const data = { appid: 'wx1', mch_id: '1', nonce_str: 'abc', body: '中文 & =', total_fee: '1', empty: '' };
    const key = '192006250b4c09247ec02edce69f6a2d';
    expect(signV2(data, key, 'MD5')).toBe(Hash.sign('MD5', data, key));
    expect(signV2(data, key, 'HMAC-SHA256')).toBe(Hash.sign('HMAC-SHA256', data, key));
    const md5key = createHash('md5').update(key).digest('hex');
    expect(decryptReqInfo(Aes.AesEcb.encrypt('<root><a>1</a></root>', md5key), key)).toBe('<root><a>1</a></root>');
  });
});

describe('alipay-sdk agrees with our Alipay builders', () => {
  const app = rsaPair();
  const gateway = rsaPair();
  const sdk = new AlipaySdk({ appId: '2021000000000001', privateKey: app.privateKeyPem, alipayPublicKey: gateway.publicKeyPem, keyType: 'PKCS8', signType: 'RSA2' });

  it('an SDK-signed order string verifies with verifyAlipayParams (request rule: sign_type included)', () => {
    const str = sdk.sdkExecute('alipay.trade.app.pay', { bizContent: { out_trade_no: 'VK1', total_amount: '0.01', subject: '中文 & x' }, notify_url: 'https://e.com/n' });
    const params = Object.fromEntries(new URLSearchParams(str));
    expect(verifyAlipayParams(params, app.publicKeyPem)).toBe(true);
    expect(verifyAlipayParams({ ...params, biz_content: params.biz_content.replace('0.01', '0.02') }, app.publicKeyPem)).toBe(false);
  });

  it('the SDK accepts our signed responses and notifications', () => {
    const json = '{"code":"10000","msg":"Success","qr_code":"https:\\/\\/qr.alipay.com\\/x"}';
    const raw = buildSignedAlipayResponse('alipay_trade_precreate_response', json, gateway.privateKeyPem);
    expect(() => sdk.checkResponseSign(raw, 'alipay_trade_precreate_response', JSON.parse(raw).sign, 'trace')).not.toThrow();
    const form: Record<string, string> = { app_id: '2021000000000001', notify_id: 'N1', out_trade_no: 'VK1', trade_status: 'TRADE_SUCCESS', total_amount: '0.01', subject: 'a+b %20 中文', sign_type: 'RSA2' };
    form.sign = signRsa2(buildAlipayNotifySignContent(form), gateway.privateKeyPem);
    expect(sdk.checkNotifySignV2(form)).toBe(true);
  });
});

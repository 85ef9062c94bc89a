/**
 * Every vector in test/fixtures/vectors/vectors.json (public test data; provenance in that folder's README),
 * checked against OUR signing functions (not node:crypto directly), so a regression in a builder or a key loader
 * fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPrivateKey, loadPublicKey } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/keys';
import {
  buildAppPaySignMessage, buildPaySignMessage, buildV3RequestMessage, decryptAeadAes256Gcm, encryptAeadAes256Gcm,
  signSha256Rsa, verifyV3Signed, signV3Request, parseAuthorization,
} from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import { buildV2SignString, decryptReqInfo, encryptReqInfo, reqInfoKey, signV2, verifyV2 } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/signing';
import { parseV2Xml } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/xml';
import {
  buildAlipayNotifySignContent, buildAlipaySignContent, extractJsonObjectText, verifyAlipayNotify, verifyAlipayResponse, verifyRsa2,
} from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import { SignatureError } from '../../uni_modules/vk-pay/common/errors';

const vectorsDir = path.resolve(__dirname, '../fixtures/vectors');
const V = JSON.parse(readFileSync(path.join(vectorsDir, 'vectors.json'), 'utf8'));
const file = (name: string) => readFileSync(path.join(vectorsDir, name), 'utf8');

describe('WeChat Pay v3 vectors', () => {
  const key = () => loadPrivateKey(file(V.wechat_v3_request_signature.private_key_file), 'merchant.privateKeyPem');

  it('request signature (official doc test key)', () => {
    const r = V.wechat_v3_request_signature;
    const msg = buildV3RequestMessage(r.method, r.url, r.timestamp, r.nonce, r.body);
    expect(signSha256Rsa(msg, key())).toBe(r.signature);
    const header = signV3Request({ method: r.method, pathWithQuery: r.url, body: r.body, mchid: '1900007291', serialNo: 'S', privateKey: key(), timestamp: Number(r.timestamp), nonce: r.nonce });
    expect(parseAuthorization(header)?.signature).toBe(r.signature);
    expect(header.startsWith('WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str=')).toBe(true);
  });

  it('jsapi/mini-program paySign (4th line prepay_id=...) and APP sign (bare prepay_id)', () => {
    const p = V.wechat_v3_client_paysign;
    expect(signSha256Rsa(buildPaySignMessage(p.appId, p.timeStamp, p.nonceStr, p.prepay_id), key())).toBe(p['jsapi_miniprogram_paySign (4th line = prepay_id=...)']);
    expect(signSha256Rsa(buildAppPaySignMessage(p.appId, p.timeStamp, p.nonceStr, p.prepay_id), key())).toBe(p['app_sign (4th line = bare prepay_id)']);
    // the two builders must differ: swapping them is the classic bug
    expect(buildPaySignMessage('a', '1', 'n', 'x')).not.toBe(buildAppPaySignMessage('a', '1', 'n', 'x'));
  });

  it('response verification on a real captured response, inside and outside the window', () => {
    const rv = V.wechat_v3_response_verify;
    const keys = [{ serial: 'PUB_KEY_ID_TEST', key: loadPublicKey(rv.public_key_pem, 'verifyKeys[0]') }];
    const h = { timestamp: rv['Wechatpay-Timestamp'], nonce: rv['Wechatpay-Nonce'], signature: rv['Wechatpay-Signature'], serial: 'PUB_KEY_ID_TEST' };
    const at = Number(rv['Wechatpay-Timestamp']) * 1000;
    expect(() => verifyV3Signed(h, rv.body, keys, at + 299_000)).not.toThrow();
    expect(() => verifyV3Signed(h, rv.body, keys, at + 300_000)).toThrow(SignatureError);
    expect(() => verifyV3Signed(h, `${rv.body} `, keys, at)).toThrow(SignatureError);
    expect(() => verifyV3Signed({ ...h, serial: 'OTHER' }, rv.body, keys, at)).toThrow(/unknown Wechatpay-Serial/);
  });

  it('AEAD_AES_256_GCM (wechatpay-java vector) and round trip', () => {
    const g = V.wechat_v3_aead_aes_256_gcm;
    expect(decryptAeadAes256Gcm(g.apiv3_key, g.nonce, g.associated_data, g.ciphertext)).toBe(g.plaintext);
    expect(encryptAeadAes256Gcm(g.apiv3_key, g.nonce, g.associated_data, g.plaintext)).toBe(g.ciphertext);
    expect(() => decryptAeadAes256Gcm(g.apiv3_key, g.nonce, 'other', g.ciphertext)).toThrow(SignatureError);
  });
});

describe('WeChat Pay v2 vectors', () => {
  it('MD5 and HMAC-SHA256 official example', () => {
    const v = V.wechat_v2_sign;
    expect(buildV2SignString(v.params, v.key)).toBe(v.stringSignTemp);
    expect(signV2(v.params, v.key, 'MD5')).toBe(v.MD5);
    expect(signV2(v.params, v.key, 'HMAC-SHA256')).toBe(v['HMAC-SHA256']);
    expect(verifyV2({ ...v.params, sign: v.MD5 }, v.key, 'MD5')).toBe(true);
    // WeChat signs in uppercase hex; the same digits in lowercase are not its sign (docs/PROTOCOLS.md 3).
    expect(verifyV2({ ...v.params, sign: v.MD5.toLowerCase() }, v.key, 'MD5')).toBe(false);
    expect(verifyV2({ ...v.params, body: 'test2', sign: v.MD5 }, v.key, 'MD5')).toBe(false);
  });

  it('req_info AES-256-ECB with md5(key)', () => {
    const e = V.wechat_v2_refund_req_info_aes_256_ecb;
    expect(reqInfoKey(e.v2_key).toString()).toBe(e.md5_key);
    expect(decryptReqInfo(e.req_info, e.v2_key)).toBe(e.plaintext);
    expect(encryptReqInfo(e.plaintext, e.v2_key)).toBe(e.req_info);
    expect(parseV2Xml(e.plaintext)).toEqual({ out_refund_no: '131811191610442717309', refund_status: 'SUCCESS' });
    expect(() => decryptReqInfo(e.req_info, 'x'.repeat(32))).toThrow(SignatureError);
  });
});

describe('Alipay vectors', () => {
  it('real notification verifies only with sign and sign_type excluded', () => {
    const a = V.alipay_notify_rsa2;
    const key = loadPublicKey(a.alipay_public_key_b64, 'alipayPublicKeyPem');
    expect(verifyAlipayNotify(a.form, key)).toBe(true);
    // keeping sign_type (the request rule) must not verify this notification
    expect(verifyRsa2(buildAlipaySignContent(a.form), a.form.sign, key)).toBe(false);
    expect(buildAlipayNotifySignContent(a.form)).not.toContain('sign_type=');
    expect(verifyAlipayNotify({ ...a.form, total_amount: '999.00' }, key)).toBe(false);
  });

  it('response sign over the raw *_response substring', () => {
    const ar = V.alipay_response_rsa2;
    const key = loadPublicKey(file(ar.public_key_file), 'alipayPublicKeyPem');
    const raw: string = ar.raw_response;
    expect(extractJsonObjectText(raw, 'alipay_open_file_upload_response')).toBe(ar.signed_substring);
    const sign = JSON.parse(raw).sign;
    expect(verifyAlipayResponse(raw, 'alipay_open_file_upload_response', sign, key)).toBe(true);
    // whitespace inside the substring changes the bytes: a re-serialisation would not verify
    const spaced = raw.replace('"code":"10000"', '"code": "10000"');
    expect(verifyAlipayResponse(spaced, 'alipay_open_file_upload_response', sign, key)).toBe(false);
  });
});

import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyConfigError, ParamError, SignatureError } from '../../../uni_modules/vk-pay/common/errors';
import {
  aesKeyOf, decryptPush, encryptPush, pushSignature, verifyPush,
} from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/message-crypto';
import {
  buildSignData, hexSignatureEquals, paySigOf, serverPaySig, userSignatureOf,
} from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/signing';

const APPID = 'wx1234567890abcdef';
const TOKEN = 'vkpayToken2026';
const ENCODING_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const hmac = (key: string, msg: string) => createHmac('sha256', key).update(msg).digest('hex');

describe('signData', () => {
  it('goods mode: fixed key order with productId and goodsPrice', () => {
    const s = buildSignData({ mode: 'short_series_goods', offerId: '1450000001', buyQuantity: 1, env: 1, productId: 'ep-1', goodsPrice: 990, outTradeNo: 'VK2026120200000001', attach: 'a' });
    expect(s).toBe('{"offerId":"1450000001","buyQuantity":1,"env":1,"currencyType":"CNY","productId":"ep-1","goodsPrice":990,"outTradeNo":"VK2026120200000001","attach":"a"}');
  });
  it('coin mode carries no productId or goodsPrice, and refuses them', () => {
    const s = JSON.parse(buildSignData({ mode: 'short_series_coin', offerId: '1450000001', buyQuantity: 60, env: 0, outTradeNo: 'VK2026120200000002', attach: '' }));
    expect(Object.keys(s)).toEqual(['offerId', 'buyQuantity', 'env', 'currencyType', 'outTradeNo', 'attach']);
    expect(() => buildSignData({ mode: 'short_series_coin', offerId: '1', buyQuantity: 1, env: 0, productId: 'x', outTradeNo: 'VK2026120200000002', attach: '' })).toThrow(ParamError);
  });
  it('refuses what WeChat refuses: goods without a price, bad quantity, bad env, bad out trade numbers', () => {
    const base = { mode: 'short_series_goods' as const, offerId: '1', buyQuantity: 1, env: 0 as const, productId: 'p', goodsPrice: 1, outTradeNo: 'VK2026120200000003', attach: '' };
    expect(() => buildSignData({ ...base, goodsPrice: undefined })).toThrow(ParamError);
    expect(() => buildSignData({ ...base, goodsPrice: 9.9 })).toThrow(ParamError);
    expect(() => buildSignData({ ...base, buyQuantity: 0 })).toThrow(ParamError);
    expect(() => buildSignData({ ...base, env: 2 as never })).toThrow(ParamError);
    for (const no of ['short7x', '_VK2026120200000003', 'VK 2026120200000003', 'x'.repeat(33)]) expect(() => buildSignData({ ...base, outTradeNo: no })).toThrow(ParamError);
    expect(() => buildSignData({ ...base, outTradeNo: 'ab|c*d@e-f_1' })).not.toThrow();
  });
});

describe('paySig, signature and pay_sig', () => {
  const signData = '{"offerId":"123","buyQuantity":1,"env":0,"currencyType":"CNY","productId":"testproductId","goodsPrice":10,"outTradeNo":"xxxxxx","attach":"testdata"}';
  it('paySig is HMAC-SHA256(AppKey, "requestVirtualPayment&" + signData), hex', () => {
    expect(paySigOf('12345', signData)).toBe(hmac('12345', `requestVirtualPayment&${signData}`));
    expect(paySigOf('12345', signData)).toMatch(/^[0-9a-f]{64}$/);
  });
  it('signature is HMAC-SHA256 keyed with the session key text over signData', () => {
    expect(userSignatureOf('9hAb/NEYUlkaMBEsmFgzig==', signData)).toBe(hmac('9hAb/NEYUlkaMBEsmFgzig==', signData));
  });
  it('the production and sandbox AppKeys give different paySigs', () => {
    expect(paySigOf('prodKey', signData)).not.toBe(paySigOf('sandboxKey', signData));
  });
  it('pay_sig signs uri + "&" + the exact body, and refuses a uri with a query', () => {
    const body = '{"openid":"o1","env":0,"order_id":"VK2026120200000001"}';
    expect(serverPaySig('k', '/xpay/query_order', body)).toBe(hmac('k', `/xpay/query_order&${body}`));
    expect(() => serverPaySig('k', '/xpay/query_order?access_token=x', body)).toThrow(ParamError);
  });
  it('hex comparison is exact, case-insensitive and shape-checked', () => {
    const s = paySigOf('k', 'x');
    expect(hexSignatureEquals(s, s.toUpperCase())).toBe(true);
    expect(hexSignatureEquals(s, `${s.slice(0, -1)}${s.endsWith('0') ? '1' : '0'}`)).toBe(false);
    expect(hexSignatureEquals(s, s.slice(1))).toBe(false);
    expect(hexSignatureEquals(s, undefined)).toBe(false);
  });
});

describe("WeChat's published vectors (virtual-payment.html, sample script for query_user_balance)", () => {
  // the page's own body bytes, AppKey "12345" and session key: pay_sig and the user-state signature it asserts
  const body = '{"openid": "xxx", "user_ip": "127.0.0.1", "env": 0}';
  it('pay_sig over uri & body with the AppKey', () => {
    expect(serverPaySig('12345', '/xpay/query_user_balance', body)).toBe('c37809f27c6d7fd1837ad2500a04512b66b34fd793a39a385fade56dca89a4b5');
  });
  it('signature over the body with the session key used as its text', () => {
    expect(userSignatureOf('9hAb/NEYUlkaMBEsmFgzig==', body)).toBe('089d9e8dc5d308977360c4b79ec600a93d736802802a807d634192328032f6c7');
  });
});

describe('message push signature and safe-mode decryption', () => {
  it('matches the signature of WeChat\'s published plain-mode example (Token AAAAA)', () => {
    expect(pushSignature(['AAAAA', '1714037059', '486452656'])).toBe('899cf89e464efb63f54ddac96b0a0a235f53aa78');
  });

  const key = aesKeyOf(ENCODING_AES_KEY);
  const now = Date.UTC(2026, 11, 2, 11, 0, 0);
  const ts = String(Math.floor(now / 1000));
  const message = JSON.stringify({ Event: 'xpay_goods_deliver_notify', OutTradeNo: 'VK2026120200000001' });
  const signed = (encrypt: string, over: Record<string, string> = {}) => ({
    timestamp: ts, nonce: '1234567', encrypt_type: 'aes',
    signature: pushSignature([TOKEN, over.timestamp ?? ts, over.nonce ?? '1234567']),
    msg_signature: pushSignature([TOKEN, over.timestamp ?? ts, over.nonce ?? '1234567', encrypt]), ...over,
  });

  it('the AES key is base64(EncodingAESKey + "="), 32 bytes; anything else is a key error', () => {
    expect(key.length).toBe(32);
    expect(() => aesKeyOf('short')).toThrow(KeyConfigError);
    expect(() => aesKeyOf(`${ENCODING_AES_KEY}=`)).toThrow(KeyConfigError);
  });

  it('decrypts 16 random bytes + 4-byte length + message + appid, padded to 32-byte blocks', () => {
    const random = randomBytes(16);
    const enc = encryptPush(key, message, APPID, random);
    expect(Buffer.from(enc, 'base64').length % 32).toBe(0);
    expect(decryptPush(key, enc, APPID)).toBe(message);
    // built by hand from the documented layout, padding to a 32-byte block
    const len = Buffer.alloc(4); len.writeUInt32BE(Buffer.byteLength(message), 0);
    const plain = Buffer.concat([random, len, Buffer.from(message), Buffer.from(APPID)]);
    const pad = 32 - (plain.length % 32);
    const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)); c.setAutoPadding(false);
    const manual = Buffer.concat([c.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), c.final()]).toString('base64');
    expect(manual).toBe(enc);
  });

  it('a message for another app is refused', () => {
    expect(() => decryptPush(key, encryptPush(key, message, 'wxOtherApp0000000'), APPID)).toThrow(SignatureError);
  });

  it('a ciphertext under another key does not decrypt to our message', () => {
    const other = aesKeyOf('ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut');
    expect(() => decryptPush(key, encryptPush(other, message, APPID), APPID)).toThrow(SignatureError);
    expect(() => decryptPush(key, 'not base64 at all!!', APPID)).toThrow(SignatureError);
  });

  it('verifies msg_signature over the ciphertext and the timestamp window', () => {
    const enc = encryptPush(key, message, APPID);
    expect(() => verifyPush(TOKEN, signed(enc), enc, now)).not.toThrow();
    // forged: the right shape, the wrong Token
    const forged = { ...signed(enc), msg_signature: pushSignature(['guess', ts, '1234567', enc]) };
    expect(() => verifyPush(TOKEN, forged, enc, now)).toThrow(/msg_signature/);
    // the ciphertext swapped under a valid signature
    const other = encryptPush(key, message, APPID);
    expect(() => verifyPush(TOKEN, signed(enc), other, now)).toThrow(/msg_signature/);
    // replayed: a genuine push presented again 301 s later
    expect(() => verifyPush(TOKEN, signed(enc), enc, now + 301_000)).toThrow(/window/);
    expect(() => verifyPush(TOKEN, signed(enc), enc, now + 299_000)).not.toThrow();
    // plain mode or a broken plain signature is refused in safe mode
    expect(() => verifyPush(TOKEN, { ...signed(enc), encrypt_type: undefined as never }, enc, now)).toThrow(/safe mode/);
    expect(() => verifyPush(TOKEN, { ...signed(enc), signature: '0'.repeat(40) }, enc, now)).toThrow(/signature mismatch/);
    expect(() => verifyPush(TOKEN, { ...signed(enc), timestamp: 'abc' }, enc, now)).toThrow(SignatureError);
  });
});

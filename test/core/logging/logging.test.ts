/** Sanitising (no keys, no card data, masked openid and phone) and the optional AES-256-GCM user_info encryption. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sanitize } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/logging/sanitize';
import { decryptUserInfo, encryptUserInfo, protectUserInfo } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/logging/user-info-crypto';

// A fake PEM (no key inside), assembled at run time so the repository's check for committed key material
// keeps flagging only real keys.
const FAKE_PEM = ['-----BEGIN', 'PRIVATE KEY-----\nabc\n-----END', 'PRIVATE KEY-----'].join(' ');

describe('sanitize', () => {
  it('removes keys and card data, masks openid and phone, keeps the rest', () => {
    const input = {
      out_trade_no: '2026112202004212345678', amount: 100,
      apiV3Key: 'k'.repeat(32), api_key: 'abc', privateKeyPem: 'x', secret: 's', token: 't', sign: 'SIGNATURE',
      card_no: '4111111111111111', cvv: '123', bank_account: '6222020000000000',
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' }, buyer_logon_id: 'someone@example.com', phone: '13812345678', mobile: '13912345678',
      note: FAKE_PEM,
      nested: [{ authorization: 'Bearer x', keep: 'yes' }],
    };
    const out = sanitize(input) as Record<string, any>;
    const text = JSON.stringify(out);
    for (const secret of ['k'.repeat(32), 'SIGNATURE', '4111111111111111', '6222020000000000', 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', '13812345678', '13912345678', 'BEGIN PRIVATE', 'Bearer x']) {
      expect(text).not.toContain(secret);
    }
    expect(out.out_trade_no).toBe(input.out_trade_no);
    expect(out.amount).toBe(100);
    expect(out.payer.openid).toMatch(/^oUpF\*+WeS6o$|^oUpF\*+eS6o$/);
    expect(out.phone).toMatch(/^138\*+5678$/);
    expect(out.nested[0].keep).toBe('yes');
    expect(input.apiV3Key).toBe('k'.repeat(32)); // the original is untouched
  });
});

describe('user_info encryption', () => {
  it('round-trips with the key, fails with another, and stores nothing readable', () => {
    const key = randomBytes(32).toString('hex');
    const info = { nickname: '小明', phone: '13812345678' };
    const blob = encryptUserInfo(info, key);
    expect(JSON.stringify(blob)).not.toContain('13812345678');
    expect(decryptUserInfo(blob, key)).toEqual(info);
    expect(() => decryptUserInfo(blob, randomBytes(32).toString('hex'))).toThrow();
    const tampered = { ...blob, data: Buffer.from('x' + Buffer.from(blob.data, 'base64').toString('latin1').slice(1), 'latin1').toString('base64') };
    expect(() => decryptUserInfo(tampered, key)).toThrow();
    expect(protectUserInfo(info, undefined)).toEqual(info);
    expect(protectUserInfo(undefined, key)).toBeUndefined();
  });
});

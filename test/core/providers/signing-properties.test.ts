/**
 * Properties of the pure builders over generated inputs (fast-check): the Alipay substring extractor returns
 * exactly the bytes of the response object whatever it contains (quotes, braces, escapes, unicode), sign
 * content never depends on key order, and the v2 XML round-trips any text a gateway could send.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAlipaySignContent, extractJsonObjectText } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import { buildV2SignString } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/signing';
import { buildV2Xml, parseV2Xml } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/xml';

const jsonObject = fc.dictionary(fc.string(), fc.jsonValue());

describe('signing builders, generated inputs', () => {
  it('extractJsonObjectText returns exactly the serialised *_response object', () => {
    fc.assert(fc.property(jsonObject, fc.string(), fc.boolean(), (obj, sign, signFirst) => {
      const inner = JSON.stringify(obj);
      const raw = signFirst
        ? `{"sign":${JSON.stringify(sign)},"alipay_trade_query_response":${inner}}`
        : `{"alipay_trade_query_response":${inner},"sign":${JSON.stringify(sign)}}`;
      expect(extractJsonObjectText(raw, 'alipay_trade_query_response')).toBe(inner);
    }));
  });

  it('sign content is independent of key order and drops empty values', () => {
    const params = fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/), fc.oneof(fc.string(), fc.constant('')));
    fc.assert(fc.property(params, (p) => {
      const reversed = Object.fromEntries(Object.entries(p).reverse());
      expect(buildAlipaySignContent(reversed)).toBe(buildAlipaySignContent(p));
      expect(buildV2SignString(reversed, 'k')).toBe(buildV2SignString(p, 'k'));
      for (const [k, v] of Object.entries(p)) if (v === '' && k !== 'sign') expect(buildAlipaySignContent(p).split('&')).not.toContain(`${k}=`);
    }));
  });

  it('v2 XML round-trips any printable text, including ]]> and markup', () => {
    const text = fc.string({ minLength: 1 }).filter((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s) && !/[\ud800-\udfff]/.test(s) && s.trim() === s);
    fc.assert(fc.property(fc.dictionary(fc.stringMatching(/^[a-z][a-z_]{0,10}$/), text), (fields) => {
      expect(parseV2Xml(buildV2Xml(fields))).toEqual(fields);
    }));
  });
});

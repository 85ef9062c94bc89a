import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_TABLE, VkPayError, describeError, payerLang, toVkPayError } from '../../uni_modules/vk-pay/common/errors';
import { fenToYuan, yuanToFen } from '../../uni_modules/vk-pay/common/money';

describe('error table', () => {
  it('holds exactly the codes of docs/CONTRACTS.md section 8, each with the payer\'s words (zh, en) and the developer\'s', () => {
    expect(ERROR_CODES).toEqual([0, 40001, 40002, 40003, 40004, 40005, 40006, 40007, 40008, 40009, 40010, 50000]);
    for (const code of ERROR_CODES.filter((c) => c !== 0)) {
      const e = ERROR_TABLE[code];
      expect(e.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(e.en.length).toBeGreaterThan(0);
      expect(e.payerAction.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(e.payerAction.en.length).toBeGreaterThan(0);
      expect(e.dev.length).toBeGreaterThan(0);
      expect(e.action.length).toBeGreaterThan(0);
      // the payer never reads developer words: no "parameter", "fen", "gateway", "signature" in what they see
      expect(`${e.en} ${e.payerAction.en}`).not.toMatch(/parameter|fen\b|gateway|signature|malformed|config/i);
    }
  });
  it('describeError answers the payer\'s words (Chinese first); envelopes and logs keep the developer\'s', () => {
    expect(describeError(40001)).toEqual({ msg: '填写的信息有误', action: '请检查后重试', retryable: false });
    expect(describeError(40001, 'en').msg).toBe('Something you entered is not valid');
    expect(new VkPayError(40001, 'amount must be at most 1000000 fen').message).toBe('parameter missing or malformed: amount must be at most 1000000 fen');
    expect(payerLang('zh-Hans')).toBe('zh');
    expect(payerLang('en-US')).toBe('en');
    expect(payerLang(undefined)).toBe('zh');
  });
  it('turns unknown throws into 50000 and keeps VkPayErrors as they are', () => {
    const e = new VkPayError(40005, 'no such order');
    expect(toVkPayError(e)).toBe(e);
    expect(toVkPayError(new Error('boom')).code).toBe(50000);
    const msg = 'order does not exist: no such order';
    expect(e.toEnvelope()).toEqual({ errCode: 40005, errSubject: 'vk-pay', errMsg: msg, code: 40005, msg, action: 'check the order number' });
    expect(describeError(12345).msg).toBe(ERROR_TABLE[50000].zh);
  });
});

describe('money', () => {
  it('converts yuan strings to fen exactly', () => {
    expect(yuanToFen('0.01')).toBe(1);
    expect(yuanToFen('12.3')).toBe(1230);
    expect(yuanToFen('0.29')).toBe(29); // 0.29 * 100 = 28.999999999999996 in floating point
    expect(yuanToFen('100')).toBe(10000);
    expect(fenToYuan(1)).toBe('0.01');
    expect(fenToYuan(1230)).toBe('12.30');
    for (const bad of ['', '-1', '1.234', '01', 'abc', '1e3', ' 1']) expect(() => yuanToFen(bad)).toThrow(RangeError);
  });
});

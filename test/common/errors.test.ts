import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_TABLE, VkPayError, describeError, toVkPayError } from '../../uni_modules/vk-pay/common/errors';
import { fenToYuan, yuanToFen } from '../../uni_modules/vk-pay/common/money';

describe('error table', () => {
  it('holds exactly the codes of docs/CONTRACTS.md section 8, each with zh, en and an action', () => {
    expect(ERROR_CODES).toEqual([0, 40001, 40002, 40003, 40004, 40005, 40006, 40007, 40008, 40009, 40010, 50000]);
    for (const code of ERROR_CODES.filter((c) => c !== 0)) {
      const e = ERROR_TABLE[code];
      expect(e.zh.length).toBeGreaterThan(0);
      expect(e.en.length).toBeGreaterThan(0);
      expect(e.action.length).toBeGreaterThan(0);
    }
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

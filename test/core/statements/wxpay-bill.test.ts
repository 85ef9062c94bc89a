import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseWxpayBill, streamWxpayBill, wxpayBillBytes, wxpayBillHashMatches } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements/wxpay-bill';
import { StatementFormatError, totalsOf } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements/types';
import { statementFen } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements/amounts';

// A v3 ALL bill as WeChat documents it: plain header, backquoted detail cells, a summary header and row.
const HEADER = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const q = (cells: string[]) => cells.map((c) => '`' + c).join(',');
const PAY1 = q(['2026-12-01 10:00:00', 'wx0001', '1900000001', '0', '', '4200000001', 'VK001', 'oUser1', 'JSAPI', 'SUCCESS', 'OTHERS', 'CNY', '12.30', '0.00', '0', '0', '0.00', '0.00', '', '', '课程', '', '0.07000', '0.60%', '12.30', '0.00', '']);
const PAY2 = q(['2026-12-01 11:00:00', 'wx0001', '1900000001', '0', '', '4200000002', 'VK002', 'oUser2', 'NATIVE', 'SUCCESS', 'CMB_DEBIT', 'CNY', '0.01', '0.00', '0', '0', '0.00', '0.00', '', '', '会员', '', '0.00000', '0.60%', '0.01', '0.00', '']);
const REFUND = q(['2026-12-01 12:00:00', 'wx0001', '1900000001', '0', '', '4200000001', 'VK001', 'oUser1', 'JSAPI', 'REFUND', 'OTHERS', 'CNY', '0.00', '0.00', '50300001', 'RF001', '5.00', '0.00', 'ORIGINAL', 'SUCCESS', '课程', '', '-0.03000', '0.60%', '0.00', '5.00', '']);
const SUMMARY_HEADER = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const SUMMARY = q(['3', '12.31', '5.00', '0.00', '0.04000', '12.31', '5.00']);
const BILL = ['\uFEFF' + HEADER, PAY1, PAY2, REFUND, SUMMARY_HEADER, SUMMARY, ''].join('\r\n');

describe('WeChat trade bill', () => {
  it('reads payments and refunds by column name, amounts in exact fen', () => {
    const { rows, summary } = parseWxpayBill(BILL);
    expect(rows).toEqual([
      { kind: 'payment', out_trade_no: 'VK001', transaction_id: '4200000001', time: '2026-12-01 10:00:00', amount: 1230, fee: 7 },
      { kind: 'payment', out_trade_no: 'VK002', transaction_id: '4200000002', time: '2026-12-01 11:00:00', amount: 1, fee: 0 },
      { kind: 'refund', out_trade_no: 'VK001', transaction_id: '4200000001', time: '2026-12-01 12:00:00', out_refund_no: 'RF001', refund_id: '50300001', amount: 500, fee: 3 },
    ]);
    expect(summary).toEqual({ count: 3, amount: 1231, refunds: 500, fees: 4 });
    expect(totalsOf(rows)).toEqual({ count: 2, amount: 1231, refunds: 500, fees: 4 });
  });

  it('reads a v2 bill (子商户号, no 订单金额 column) through the same names', () => {
    const v2Header = '交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率';
    const row = q(['2026-12-01 10:00:00', 'wx0001', '1900000001', '0', '', '4200000009', 'VK009', 'oU', 'APP', 'SUCCESS', 'OTHERS', 'CNY', '8.00', '0.00', '0', '0', '0.00', '0.00', '', '', 'x', '', '0.05000', '0.60%']);
    const text = [v2Header, row, SUMMARY_HEADER, q(['1', '8.00', '0.00', '0.00', '0.05000', '8.00', '0.00'])].join('\n');
    expect(parseWxpayBill(text).rows).toEqual([{ kind: 'payment', out_trade_no: 'VK009', transaction_id: '4200000009', time: '2026-12-01 10:00:00', amount: 800, fee: 5 }]);
  });

  it('refuses a bill cut short, a row count that disagrees, a cell without its backquote, a missing column', () => {
    expect(() => parseWxpayBill([HEADER, PAY1, PAY2].join('\n'))).toThrow(StatementFormatError);
    expect(() => parseWxpayBill([HEADER, PAY1, SUMMARY_HEADER, SUMMARY].join('\n'))).toThrow(/counts 3 rows, the statement has 1/);
    expect(() => parseWxpayBill([HEADER, PAY1.replace('`VK001', 'VK001'), PAY2, REFUND, SUMMARY_HEADER, SUMMARY].join('\n'))).toThrow(/backquote/);
    expect(() => parseWxpayBill([HEADER.replace('商户订单号', '订单号'), PAY1].join('\n'))).toThrow(/商户订单号/);
    expect(() => parseWxpayBill(BILL.replaceAll('`12.30', '`12.3x'))).toThrow(/not an amount/);
    expect(() => parseWxpayBill('')).toThrow(StatementFormatError);
  });

  it('checks the SHA1 WeChat gives over the plain bill, after gunzip when GZIP was asked', () => {
    const plain = Buffer.from(BILL, 'utf8');
    const sha1 = createHash('sha1').update(plain).digest('hex');
    const unzipped = wxpayBillBytes(gzipSync(plain), true);
    expect(Buffer.from(unzipped).equals(plain)).toBe(true);
    expect(wxpayBillHashMatches(unzipped, 'SHA1', sha1.toUpperCase())).toBe(true);
    expect(wxpayBillHashMatches(Buffer.from(BILL.replace('12.30', '12.40')), 'SHA1', sha1)).toBe(false);
    expect(wxpayBillHashMatches(plain, 'MD5', sha1)).toBe(false);
    expect(() => wxpayBillBytes(plain, true)).toThrow(StatementFormatError);
  });

  it('reads the same bill as a stream of small byte chunks (multi-byte characters split across chunks)', async () => {
    const bytes = Buffer.from(BILL, 'utf8');
    async function* chunks() { for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7); }
    const s = streamWxpayBill(chunks());
    const rows = [];
    for await (const row of s.rows) rows.push(row);
    expect(rows).toEqual(parseWxpayBill(BILL).rows);
    expect(s.summary()).toEqual({ count: 3, amount: 1231, refunds: 500, fees: 4 });
    const cut = streamWxpayBill((async function* () { yield Buffer.from([HEADER, PAY1].join('\n')); })());
    await expect((async () => { for await (const _ of cut.rows) void _; })()).rejects.toThrow(StatementFormatError);
    expect(() => cut.summary()).toThrow(StatementFormatError);
  });

  it('parses signed yuan exactly', () => {
    expect(statementFen('-0.03000', 'x', { fee: true })).toBe(-3);
    expect(statementFen('0.00500', 'x', { fee: true })).toBe(1);
    expect(statementFen('0.00499', 'x', { fee: true })).toBe(0);
    expect(() => statementFen('0.001', 'x')).toThrow(StatementFormatError);
    expect(statementFen('19.99', 'x')).toBe(1999);
    expect(statementFen('', 'x')).toBe(0);
    expect(() => statementFen('1e3', 'x')).toThrow(StatementFormatError);
  });
});

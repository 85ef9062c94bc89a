import iconv from 'iconv-lite';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { alipayDetailText, parseAlipayBillZip, parseAlipayDetail } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements/alipay-bill';
import { gbkZip } from '../../../sandbox/statements/gbk-zip';
import { StatementFormatError } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements/types';

// The detail file as Alipay lays it out: '#' lines around the table, cells padded with tabs.
const HEADER = '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';
const pad = (cells: string[]) => cells.map((c) => c + '\t').join(',');
const TRADE = pad(['2026120122001400001', 'VK101', '交易', '课程', '2026-12-01 09:59:00', '2026-12-01 10:00:00', '', '', '', '', 'ali***@mail.com', '20.00', '20.00', '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', '', '-0.12', '0.00', '']);
const REFUND = pad(['2026120122001400001', 'VK101', '退款', '课程', '2026-12-01 09:59:00', '2026-12-01 15:00:00', '', '', '', '', 'ali***@mail.com', '-5.00', '-5.00', '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', 'RF101', '0.03', '0.00', '']);
const detail = (rows: string[], counts = `#交易合计：1笔，退款合计：${rows.length - 1}笔`) => [
  '#支付宝业务明细查询', '#账号：[20880000000000000156]', '#起始日期：[2026年12月01日 00:00:00]   终止日期：[2026年12月02日 00:00:00]',
  '#-----------------------------------------业务明细列表----------------------------------------', HEADER, ...rows,
  '#-----------------------------------------业务明细列表结束------------------------------------', counts, '#导出时间：[2026年12月02日 10:27:06]',
].join('\r\n');

const alipayZip = gbkZip;

describe('Alipay trade bill', () => {
  it('reads the GBK detail file out of the zip, finding it by its GBK name', () => {
    const zip = alipayZip({
      '20880000000000000156_20261201_业务明细.csv': detail([TRADE, REFUND]),
      '20880000000000000156_20261201_业务明细(汇总).csv': '#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数\r\n合计,,1\r\n',
    });
    expect(zip.includes(Buffer.from('业务明细', 'utf8'))).toBe(false); // the names really are GBK bytes
    const { rows, summary } = parseAlipayBillZip(zip);
    expect(summary).toBeNull();
    expect(rows).toEqual([
      { kind: 'payment', out_trade_no: 'VK101', transaction_id: '2026120122001400001', time: '2026-12-01 10:00:00', amount: 2000, fee: 12 },
      { kind: 'refund', out_trade_no: 'VK101', transaction_id: '2026120122001400001', time: '2026-12-01 15:00:00', out_refund_no: 'RF101', refund_id: '', amount: 500, fee: 3 },
    ]);
  });

  it('also finds a detail file whose name is stored as UTF-8', () => {
    const zip = zipSync({ 'x_业务明细.csv': iconv.encode(detail([TRADE]), 'gbk') });
    expect(parseAlipayBillZip(zip).rows).toHaveLength(1);
  });

  it('reads GB18030 four-byte characters (a rare name in a product title) and keeps a byte that is no character as U+FFFD', () => {
    const rare = detail([TRADE.replace('课程', '课程𠀀')]);
    expect(alipayDetailText(zipSync({ 'x_业务明细.csv': iconv.encode(rare, 'gb18030') }))).toContain('课程𠀀\t');
    // a lead byte followed by a space is no character: the product name is mangled, the figures are not
    const mangled = iconv.encode(detail([TRADE.replace('课程', '课程\u0001')]), 'gbk');
    mangled[mangled.indexOf(0x01)] = 0x81;
    const text = alipayDetailText(zipSync({ 'x_业务明细.csv': mangled }));
    expect(text).toContain('课程\ufffd');
    expect(parseAlipayDetail(text).rows).toEqual(parseAlipayDetail(detail([TRADE])).rows);
  });

  it('refuses what is not a bill: not a zip, no detail file, counts that disagree, a missing column, a bad amount', () => {
    expect(() => parseAlipayBillZip(Buffer.from('<html>expired</html>'))).toThrow(StatementFormatError);
    expect(() => alipayDetailText(alipayZip({ 'readme.txt': 'x' }))).toThrow(/0 detail files/);
    expect(() => parseAlipayDetail(detail([TRADE], '#交易合计：2笔，退款合计：0笔'))).toThrow(/counts 2 trades/);
    expect(() => parseAlipayDetail(detail([TRADE]).replace('商户订单号', '订单号'))).toThrow(/商户订单号/);
    expect(() => parseAlipayDetail(detail([TRADE.replace('20.00', '20.0.0')]))).toThrow(/not an amount/);
    expect(() => parseAlipayDetail(detail([TRADE.replace('交易\t', '转账\t')]))).toThrow(/业务类型/);
  });
});

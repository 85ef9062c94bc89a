/**
 * The statements in the providers' own formats (docs/PROTOCOLS.md section 8), written from the day's rows:
 * WeChat's bill text (plain header, backquoted cells, summary rows; yuan; fees to five decimals) and Alipay's
 * zip of GBK files (detail with its '#' lines and tab-padded cells, and the per-store summary file).
 */
import { fenToYuan } from '../../uni_modules/vk-pay/common/money';
import { dateTimeChina } from '../http-io';
import type { SandboxCredentials } from '../credentials';
import type { DayRows } from './day';
import { gbkZip } from './gbk-zip';

const yuan = (fen: number) => (fen < 0 ? `-${fenToYuan(-fen)}` : fenToYuan(fen));
const fee5 = (fen: number) => `${yuan(fen)}000`;

const WX_HEADER = ['交易时间', '公众账号ID', '商户号', '特约商户号', '设备号', '微信订单号', '商户订单号', '用户标识', '交易类型', '交易状态', '付款银行', '货币种类', '应结订单金额', '代金券金额', '微信退款单号', '商户退款单号', '退款金额', '充值券退款金额', '退款类型', '退款状态', '商品名称', '商户数据包', '手续费', '费率', '订单金额', '申请退款金额', '费率备注'];
const WX_SUMMARY = ['总交易单数', '应结订单总金额', '退款总金额', '充值券退款总金额', '手续费总金额', '订单总金额', '申请退款总金额'];
const tick = (cells: string[]) => cells.map((c) => '`' + c.replace(/[,\r\n]/g, ' ')).join(',');

export function wxpayBillText(day: DayRows): string {
  const lines = [WX_HEADER.join(',')];
  let paid = 0;
  let refunded = 0;
  let fees = 0;
  for (const p of day.payments) {
    const o = p.order;
    paid += p.amount;
    fees += p.fee;
    lines.push(tick([dateTimeChina(p.paid_at), o.app_id, o.merchant_id, '0', '', o.transaction_id, o.out_trade_no, o.payer_id ?? '', o.pay_type, 'SUCCESS', 'OTHERS', 'CNY',
      yuan(p.amount), '0.00', '0', '0', '0.00', '0.00', '', '', o.subject, o.attach ?? '', fee5(p.fee), '0.60%', yuan(p.amount), '0.00', '']));
  }
  for (const r of day.refunds) {
    const o = r.order;
    refunded += r.refund.amount;
    fees -= r.fee;
    lines.push(tick([dateTimeChina(r.refund.created_at), o.app_id, o.merchant_id, '0', '', o.transaction_id, o.out_trade_no, o.payer_id ?? '', o.pay_type, 'REFUND', 'OTHERS', 'CNY',
      '0.00', '0.00', r.refund.refund_id, r.refund.out_refund_no, yuan(r.refund.amount), '0.00', 'ORIGINAL', r.refund.status === 'SUCCESS' ? 'SUCCESS' : 'PROCESSING', o.subject, o.attach ?? '', fee5(-r.fee), '0.60%', '0.00', yuan(r.refund.amount), '']));
  }
  lines.push(WX_SUMMARY.join(','));
  lines.push(tick([String(day.payments.length + day.refunds.length), yuan(paid), yuan(refunded), '0.00', fee5(fees), yuan(paid), yuan(refunded)]));
  return `${lines.join('\r\n')}\r\n`;
}

const ALI_HEADER = ['支付宝交易号', '商户订单号', '业务类型', '商品名称', '创建时间', '完成时间', '门店编号', '门店名称', '操作员', '终端号', '对方账户', '订单金额（元）', '商家实收（元）', '支付宝红包（元）', '集分宝（元）', '支付宝优惠（元）', '商家优惠（元）', '券核销金额（元）', '券名称', '商家红包消费金额（元）', '卡消费金额（元）', '退款批次号/请求号', '服务费（元）', '分润（元）', '备注'];
const pad = (cells: string[]) => cells.map((c) => `${c.replace(/[,\r\n]/g, ' ')}\t`).join(',');
const chinaDate = (date: string) => `${date.slice(0, 4)}年${date.slice(5, 7)}月${date.slice(8, 10)}日`;

export function alipayBillZip(day: DayRows, creds: SandboxCredentials, date: string, exportedAt: number): Buffer {
  const pid = creds.alipay.sellerId;
  const lines = ['#支付宝业务明细查询', `#账号：[${pid}]`, `#起始日期：[${chinaDate(date)} 00:00:00]   终止日期：[${chinaDate(date)} 24:00:00]`,
    '#-----------------------------------------业务明细列表----------------------------------------', ALI_HEADER.join(',')];
  let paid = 0;
  for (const p of day.payments) {
    const o = p.order;
    paid += p.amount;
    lines.push(pad([o.transaction_id, o.out_trade_no, '交易', o.subject, dateTimeChina(o.created_at), dateTimeChina(p.paid_at), '', '', '', '', o.payer_id ?? '',
      yuan(p.amount), yuan(p.amount), '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', '', yuan(-p.fee), '0.00', '']));
  }
  for (const r of day.refunds) {
    const o = r.order;
    lines.push(pad([o.transaction_id, o.out_trade_no, '退款', o.subject, dateTimeChina(o.created_at), dateTimeChina(r.refund.success_at ?? r.refund.created_at), '', '', '', '', o.payer_id ?? '',
      yuan(-r.refund.amount), yuan(-r.refund.amount), '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', r.refund.out_refund_no, yuan(r.fee), '0.00', '']));
  }
  lines.push('#-----------------------------------------业务明细列表结束------------------------------------');
  lines.push(`#交易合计：${day.payments.length}笔，退款合计：${day.refunds.length}笔`);
  lines.push(`#导出时间：[${dateTimeChina(exportedAt)}]`);
  const compact = date.replace(/-/g, '');
  const summary = ['#支付宝业务汇总查询', '门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）',
    `合计,,${day.payments.length},${day.refunds.length},${yuan(paid)},${yuan(paid)}`];
  return gbkZip({ [`${pid}_${compact}_业务明细.csv`]: lines.join('\r\n'), [`${pid}_${compact}_业务明细(汇总).csv`]: summary.join('\r\n') });
}

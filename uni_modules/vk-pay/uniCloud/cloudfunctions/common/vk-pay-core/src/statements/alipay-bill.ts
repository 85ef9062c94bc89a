/**
 * Alipay's daily trade bill (`alipay.data.dataservice.bill.downloadurl.query`, bill_type=trade): the download
 * is a zip holding GBK-encoded CSV files, a detail file (name ending 业务明细.csv) and a summary file
 * (业务明细(汇总).csv). The detail file wraps its table in '#' comment lines (account, dates, a closing line
 * with the counts); cells are padded with tabs and spaces. docs/PROTOCOLS.md section 8 has the format.
 * Zip entry names are GBK too, without the zip's UTF-8 flag: they are read back as bytes and decoded.
 */
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import { statementFen } from './amounts';
import { gbkText } from './gbk';
import { StatementFormatError, type ParsedStatement, type StatementRow } from './types';

const DETAIL_SUFFIX = '业务明细.csv';
const REQUIRED = ['支付宝交易号', '商户订单号', '业务类型', '完成时间', '订单金额（元）', '服务费（元）', '退款批次号/请求号'];
/** "#交易合计：3笔，退款合计：1笔" (full-width punctuation, as printed) */
const COUNT_LINE = /^#交易合计[:：]\s*(\d+)\s*笔[,，]\s*退款合计[:：]\s*(\d+)\s*笔/;

/** A zip entry name as stored: UTF-8 when flagged (then fflate decoded it), else GBK bytes read as latin1. */
function entryName(name: string): string {
  return /^[\x00-\xff]*$/.test(name) && /[\x80-\xff]/.test(name) ? gbkText(Buffer.from(name, 'latin1')) : name;
}

/** The zip as downloaded -> the detail file's text. */
export function alipayDetailText(zip: Uint8Array): string {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (err) {
    throw new StatementFormatError(`not a zip: ${(err as Error).message}`);
  }
  const names = Object.keys(files).filter((n) => entryName(n).endsWith(DETAIL_SUFFIX));
  if (names.length !== 1) throw new StatementFormatError(`zip holds ${names.length} detail files (${DETAIL_SUFFIX})`);
  return gbkText(files[names[0]]);
}

/** The detail file's text -> rows; the closing count line, when present, must agree with the rows. */
export function parseAlipayDetail(text: string): ParsedStatement {
  const table: string[] = [];
  let declared: { trades: number; refunds: number } | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('#')) {
      const m = COUNT_LINE.exec(line);
      if (m) declared = { trades: Number(m[1]), refunds: Number(m[2]) };
    } else if (line.trim() !== '') table.push(line);
  }
  let records: string[][];
  try {
    records = parse(table.join('\n'), { trim: true, relax_quotes: true }) as string[][];
  } catch (err) {
    throw new StatementFormatError(`not CSV: ${(err as Error).message.slice(0, 200)}`);
  }
  if (records.length === 0) throw new StatementFormatError('no header row');
  const cols = new Map(records[0].map((n, i) => [n.trim(), i]));
  for (const name of REQUIRED) if (!cols.has(name)) throw new StatementFormatError(`header has no ${name} column`);
  const rows: StatementRow[] = [];
  let trades = 0;
  let refunds = 0;
  for (let i = 1; i < records.length; i += 1) {
    const record = records[i];
    const get = (name: string) => (record[cols.get(name) as number] ?? '').trim();
    const base = { out_trade_no: get('商户订单号'), transaction_id: get('支付宝交易号'), time: get('完成时间') };
    if (!base.out_trade_no || !base.transaction_id) throw new StatementFormatError(`detail row ${i}: no order number`);
    const amount = Math.abs(statementFen(get('订单金额（元）'), '订单金额（元）'));
    const fee = Math.abs(statementFen(get('服务费（元）'), '服务费（元）', { fee: true }));
    const kind = get('业务类型');
    if (kind === '交易') {
      trades += 1;
      rows.push({ kind: 'payment', ...base, amount, fee });
    } else if (kind === '退款') {
      refunds += 1;
      rows.push({ kind: 'refund', ...base, out_refund_no: get('退款批次号/请求号'), refund_id: '', amount, fee });
    } else {
      throw new StatementFormatError(`detail row ${i}: unknown 业务类型 ${JSON.stringify(kind.slice(0, 20))}`);
    }
  }
  if (declared && (declared.trades !== trades || declared.refunds !== refunds)) {
    throw new StatementFormatError(`the closing line counts ${declared.trades} trades and ${declared.refunds} refunds, the table has ${trades} and ${refunds}`);
  }
  return { rows, summary: null };
}

export function parseAlipayBillZip(zip: Uint8Array): ParsedStatement {
  return parseAlipayDetail(alipayDetailText(zip));
}

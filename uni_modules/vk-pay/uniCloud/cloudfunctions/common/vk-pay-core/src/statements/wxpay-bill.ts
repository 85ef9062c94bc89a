/**
 * WeChat Pay's daily trade bill (v3 `GET /v3/bill/tradebill` + its download, and v2 `/pay/downloadbill`: the
 * same text). docs/PROTOCOLS.md section 8 has the format: a header row of plain column names, detail rows whose
 * every cell starts with a backquote (so spreadsheets keep long numbers), then a summary header row starting
 * with 总交易单数 and one backquoted summary row. Amounts are yuan. Columns are found by NAME, never by position:
 * v2 and v3 bills differ in a few columns (子商户号 / 特约商户号, 订单金额 present or not).
 *
 * The reader takes one CSV record at a time, so the same code serves a whole download (parseWxpayBill) and a
 * stream (bench, large days: createWxpayBillReader fed by csv-parse's stream API).
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { parse as parseStream } from 'csv-parse';
import { gunzipSync } from 'fflate';
import { statementFen } from './amounts';
import { StatementFormatError, totalsOf, type ParsedStatement, type StatementRow, type StatementTotals } from './types';

/** csv-parse options for a WeChat bill: no quoting rules are promised, and the summary rows are shorter. */
export const WXPAY_CSV_OPTIONS = { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true } as const;

const SUMMARY_FIRST = '总交易单数';
const REQUIRED = ['交易时间', '微信订单号', '商户订单号', '交易状态', '手续费'];

export interface WxpayBillReader {
  /** one CSV record; returns the statement row it describes, or null for the header and summary rows */
  push(record: string[]): StatementRow | null;
  /** after the last record: the summary, checked against the rows read */
  finish(): StatementTotals;
}

function cell(record: string[], at: number | undefined): string {
  if (at === undefined) return '';
  const v = record[at] ?? '';
  return v.startsWith('`') ? v.slice(1) : v;
}

export function createWxpayBillReader(): WxpayBillReader {
  let cols: Map<string, number> | null = null;
  let summaryCols: Map<string, number> | null = null;
  let summary: StatementTotals | null = null;
  let detailRows = 0;
  let declaredCount = -1;
  const index = (names: string[]) => new Map(names.map((n, i) => [n.replace(/^\uFEFF/, '').trim(), i]));

  function detail(record: string[]): StatementRow {
    const c = cols as Map<string, number>;
    if (record.length !== c.size) throw new StatementFormatError(`detail row ${detailRows + 1}: ${record.length} cells, header has ${c.size}`);
    if (!record.every((v) => v.startsWith('`'))) throw new StatementFormatError(`detail row ${detailRows + 1}: a cell without its backquote`);
    detailRows += 1;
    const get = (name: string) => cell(record, c.get(name)).trim();
    const state = get('交易状态');
    const base = { out_trade_no: get('商户订单号'), transaction_id: get('微信订单号'), time: get('交易时间') };
    if (!base.out_trade_no || !base.transaction_id) throw new StatementFormatError(`detail row ${detailRows}: no order number`);
    const fee = Math.abs(statementFen(get('手续费'), '手续费', { fee: true }));
    if (state === 'REFUND') {
      const refund = c.has('退款金额') ? get('退款金额') : get('申请退款金额');
      return { kind: 'refund', ...base, out_refund_no: get('商户退款单号'), refund_id: get('微信退款单号'), amount: Math.abs(statementFen(refund, '退款金额')), fee };
    }
    if (state !== 'SUCCESS' && state !== 'REVOKED') throw new StatementFormatError(`detail row ${detailRows}: unknown 交易状态 ${JSON.stringify(state.slice(0, 20))}`);
    const amount = statementFen(c.has('订单金额') ? get('订单金额') : get('应结订单金额'), '订单金额');
    return { kind: 'payment', ...base, amount, fee, ...(state === 'REVOKED' ? { revoked: true } : {}) };
  }

  return {
    push(record) {
      if (!cols) {
        cols = index(record);
        for (const name of REQUIRED) if (!cols.has(name)) throw new StatementFormatError(`header has no ${name} column`);
        if (!cols.has('订单金额') && !cols.has('应结订单金额')) throw new StatementFormatError('header has no amount column');
        return null;
      }
      if (summary) throw new StatementFormatError('rows after the summary');
      if (summaryCols) {
        const get = (name: string) => cell(record, summaryCols!.get(name)).trim();
        declaredCount = Number(get(SUMMARY_FIRST));
        if (!Number.isSafeInteger(declaredCount)) throw new StatementFormatError('summary: 总交易单数 is not a count');
        const amountCol = summaryCols.has('订单总金额') ? '订单总金额' : '应结订单总金额';
        summary = {
          count: declaredCount,
          amount: statementFen(get(amountCol), amountCol),
          refunds: Math.abs(statementFen(get('退款总金额'), '退款总金额')),
          fees: statementFen(get('手续费总金额'), '手续费总金额', { fee: true }),
        };
        return null;
      }
      if (record[0]?.trim() === SUMMARY_FIRST) {
        summaryCols = index(record);
        return null;
      }
      return detail(record);
    },
    finish() {
      if (!cols) throw new StatementFormatError('empty statement');
      if (!summary) throw new StatementFormatError('no summary rows: the statement is cut short');
      if (declaredCount !== detailRows) throw new StatementFormatError(`summary counts ${declaredCount} rows, the statement has ${detailRows}`);
      return summary;
    },
  };
}

/** A whole bill's text -> rows and the summary it declares (already checked for its row count). */
export function parseWxpayBill(text: string): ParsedStatement {
  let records: string[][];
  try {
    records = parse(text, WXPAY_CSV_OPTIONS) as string[][];
  } catch (err) {
    throw new StatementFormatError(`not CSV: ${(err as Error).message.slice(0, 200)}`);
  }
  const reader = createWxpayBillReader();
  const rows: StatementRow[] = [];
  for (const record of records) {
    const row = reader.push(record);
    if (row) rows.push(row);
  }
  return { rows, summary: reader.finish() };
}

/** The bill as downloaded: gunzipped when asked for with tar_type=GZIP (the hash is over the plain bill). */
export function wxpayBillBytes(body: Uint8Array, gzip: boolean): Uint8Array {
  if (!gzip) return body;
  try {
    return gunzipSync(body);
  } catch (err) {
    throw new StatementFormatError(`not gzip: ${(err as Error).message}`);
  }
}

/** The hash WeChat gave with the download address, over the plain (unzipped) bill. Only SHA1 is defined. */
export function wxpayBillHashMatches(plain: Uint8Array, hashType: string, hashValue: string): boolean {
  if (hashType !== 'SHA1') return false;
  const ours = createHash('sha1').update(plain).digest('hex');
  return ours === String(hashValue).trim().toLowerCase();
}

export { totalsOf };

/**
 * A bill as a stream (a large day: the text is never held as one string nor its records as one array): rows
 * are yielded as csv-parse reads them; `summary()` answers once the rows are exhausted (and throws a
 * StatementFormatError, like parseWxpayBill, for a bill cut short).
 */
export function streamWxpayBill(input: AsyncIterable<Uint8Array | string>): { rows: AsyncGenerator<StatementRow>; summary(): StatementTotals } {
  let summary: StatementTotals | null = null;
  async function* rows(): AsyncGenerator<StatementRow> {
    const reader = createWxpayBillReader();
    const parser = parseStream(WXPAY_CSV_OPTIONS);
    const feeding = (async () => {
      try {
        for await (const chunk of input) if (!parser.write(chunk)) await new Promise((r) => parser.once('drain', r));
        parser.end();
      } catch (err) {
        parser.destroy(err as Error);
      }
    })();
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        const row = reader.push(record);
        if (row) yield row;
      }
    } catch (err) {
      throw err instanceof StatementFormatError ? err : new StatementFormatError(`not CSV: ${(err as Error).message.slice(0, 200)}`);
    } finally {
      await feeding;
    }
    summary = reader.finish();
  }
  return {
    rows: rows(),
    summary() {
      if (!summary) throw new StatementFormatError('the statement has not been read to its end');
      return summary;
    },
  };
}

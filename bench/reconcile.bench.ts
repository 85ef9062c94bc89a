/**
 * Daily reconciliation of one big day: N orders paid that day (default 100,000; `VKPAY_BENCH_RECONCILE_ORDERS`
 * scales it), 1 % of them refunded, stored in the local database; the day's WeChat bill written in WeChat's
 * format by the sandbox's writer (with a few rows missing and a few amounts changed), then reconciled by the
 * core's comparison with the bill PARSED AS A STREAM (csv-parse's stream API, 64 KiB chunks) and our orders
 * and refunds READ IN PAGES of 500. Printed: statement rows per second, wall time, peak memory (RSS and heap,
 * sampled every 20 ms), and the discrepancies found (checked against the faults injected). Baseline, same run,
 * same bytes: a bare csv-parse stream over the bill (records counted, nothing else).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse as parseStream } from 'csv-parse';
import { openLocalDatabase } from '../local/db/index';
import { createBaseDao } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/dao';
import { COLLECTIONS } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import { compareStatement } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements/compare';
import { streamWxpayBill, WXPAY_CSV_OPTIONS } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements/wxpay-bill';
import { wxpayBillText } from '../sandbox/statements/writers';
import { feeOf, type DayRows } from '../sandbox/statements/day';
import type { SandboxOrder, SandboxRefund } from '../sandbox/state';
import { printRow } from './stats';

const ROOT = path.resolve(__dirname, '..');
const N = Number(process.env.VKPAY_BENCH_RECONCILE_ORDERS ?? 100_000);
const DAY_START = Date.UTC(2026, 10, 30, 16); // 2026-12-01 00:00 UTC+8
const MISSING = 10;
const CHANGED = 10;

function peakSampler() {
  let rss = 0;
  let heap = 0;
  const sample = () => { const m = process.memoryUsage(); rss = Math.max(rss, m.rss); heap = Math.max(heap, m.heapUsed); };
  sample();
  const timer = setInterval(sample, 20);
  return { stop() { clearInterval(timer); sample(); return { rss, heap }; } };
}

const chunks = (bytes: Buffer) => Readable.from((function* () { for (let i = 0; i < bytes.length; i += 65_536) yield bytes.subarray(i, i + 65_536); })());
const mib = (b: number) => b / 1024 / 1024;

export default async function run(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vkpay-bench-reconcile-'));
  const db = await openLocalDatabase({ path: path.join(dir, 'db'), indexDir: path.join(ROOT, 'uni_modules/vk-pay/uniCloud/database') });
  const dao = createBaseDao(db);
  try {
    // the day's books: N paid orders, 1 % refunded
    const started = Date.now();
    const orders: SandboxOrder[] = [];
    const refunds: SandboxRefund[] = [];
    for (let i = 0; i < N; i += 1000) {
      const docs = [];
      for (let j = i; j < Math.min(N, i + 1000); j++) {
        const no = `VK${String(j).padStart(12, '0')}`;
        const paid_at = DAY_START + Math.floor((j / N) * 86_000_000);
        const amount = 100 + (j % 5000);
        const tx = `42000${String(j).padStart(23, '0')}`;
        docs.push({ out_trade_no: no, user_id: `u${j % 977}`, type: 'bench', provider: 'wxpay', channel: 'wxpay', pay_type: 'native', amount, subject: '课程', status: 'paid', create_date: paid_at - 30_000, update_date: paid_at, expires_at: paid_at + 3600_000, fingerprint: no, dedupe_key: no, transaction_id: tx, paid_at, refunded_amount: 0, refund_in_flight: 0, refundable_remaining: amount, refunds_reserved: [], refunds_done: [], history: [] });
        orders.push({ channel: 'wxpay', out_trade_no: no, transaction_id: tx, app_id: 'wx0000000000000001', merchant_id: '1900000001', amount, subject: '课程', pay_type: 'NATIVE', fingerprint: no, status: 'SUCCESS', refunded: 0, created_at: paid_at - 30_000, paid_at } as SandboxOrder);
      }
      await dao.adds({ dbName: COLLECTIONS.orders, dataJson: docs, cancelAddTime: true });
    }
    const refundDocs = [];
    for (let j = 0; j < N; j += 100) {
      const o = orders[j];
      const r = { channel: 'wxpay', out_refund_no: `RF${o.out_trade_no}`, out_trade_no: o.out_trade_no, refund_id: `503${j}`, amount: 50, total: o.amount, status: 'SUCCESS', created_at: (o.paid_at as number) + 60_000, success_at: (o.paid_at as number) + 60_000 } as SandboxRefund;
      refunds.push(r);
      refundDocs.push({ out_refund_no: r.out_refund_no, out_trade_no: r.out_trade_no, amount: 50, status: 'success', provider: 'wxpay', channel: 'wxpay', user_id: 'u', type: 'bench', source: 'bench', create_date: r.created_at, update_date: r.created_at, success_at: r.created_at });
    }
    for (let i = 0; i < refundDocs.length; i += 1000) await dao.adds({ dbName: COLLECTIONS.refunds, dataJson: refundDocs.slice(i, i + 1000), cancelAddTime: true });
    console.log(`setup: ${N} orders and ${refunds.length} refunds stored in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // the statement: every payment and refund, less MISSING rows, CHANGED amounts off by 1 fen
    const missing = new Set(orders.slice(0, MISSING).map((o) => o.out_trade_no));
    const day: DayRows = {
      payments: orders.filter((o) => !missing.has(o.out_trade_no)).map((o, k) => {
        const amount = k >= N / 2 && k < N / 2 + CHANGED ? o.amount + 1 : o.amount;
        return { order: o, amount, fee: feeOf(amount), paid_at: o.paid_at as number };
      }),
      refunds: refunds.map((r) => ({ refund: r, order: orders[0], fee: feeOf(r.amount) })),
    };
    for (const r of day.refunds) r.order = orders.find((o) => o.out_trade_no === r.refund.out_trade_no) as SandboxOrder;
    const bill = Buffer.from(wxpayBillText(day), 'utf8');
    const statementRows = day.payments.length + day.refunds.length;
    console.log(`statement: ${statementRows} rows, ${mib(bill.length).toFixed(1)} MiB`);

    // baseline: the same bytes through a bare csv-parse stream
    if (global.gc) global.gc();
    let peak = peakSampler();
    let t = performance.now();
    let records = 0;
    for await (const record of chunks(bill).pipe(parseStream(WXPAY_CSV_OPTIONS))) { void record; records++; }
    const bareMs = performance.now() - t;
    const bareMem = peak.stop();
    const bareRate = statementRows / (bareMs / 1000);

    // the reconciliation: the bill streamed, the books paged
    if (global.gc) global.gc();
    peak = peakSampler();
    t = performance.now();
    const stream = streamWxpayBill(chunks(bill));
    const ctx = { dao, db, now: () => DAY_START + 2 * 86_400_000 };
    const result = await compareStatement(ctx, {
      channel: 'wxpay', start: DAY_START, end: DAY_START + 86_400_000, rows: stream.rows, summary: stream.summary,
      repair: async () => { throw new Error('no repair expected in this bench'); }, pageSize: 500,
    });
    const fullMs = performance.now() - t;
    const fullMem = peak.stop();
    const fullRate = statementRows / (fullMs / 1000);

    const kinds: Record<string, number> = {};
    for (const d of result.discrepancies) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
    console.log(`found: ${JSON.stringify(kinds)}; matched ${result.matched} of ${result.local_count} (bare parse read ${records} records)`);
    if (kinds.missing_at_provider !== MISSING || kinds.amount_mismatch !== CHANGED || result.discrepancies.length !== MISSING + CHANGED || result.matched !== N - MISSING - CHANGED) {
      throw new Error('the reconciliation did not find exactly the injected discrepancies');
    }
    printRow('bare csv-parse stream (baseline)', bareRate, 'rows/s');
    printRow(`reconcile ${N} orders (stream + pages of 500)`, fullRate, 'rows/s', { label: 'of the bare parse', value: bareRate });
    printRow('reconcile wall time', fullMs / 1000, 's');
    printRow('peak RSS, bare parse', mib(bareMem.rss), 'MiB');
    printRow('peak RSS, reconcile', mib(fullMem.rss), 'MiB', { label: 'of the bare parse', value: mib(bareMem.rss) });
    printRow('peak heap, reconcile', mib(fullMem.heap), 'MiB', { label: 'of the bare parse', value: mib(bareMem.heap) });
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

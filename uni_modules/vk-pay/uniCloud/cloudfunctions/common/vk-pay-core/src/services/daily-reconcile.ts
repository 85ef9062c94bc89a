/**
 * Daily reconciliation (issue 15, docs/CONTRACTS.md section 14): one channel, one day (UTC+8). The provider's
 * statement is downloaded, verified and parsed BEFORE anything is touched; a statement not yet published is a
 * `pending` report retried later, an unreadable or hash-failing one a `failed` report and an alert, with no
 * repair. A readable one is compared with our books (statements/compare.ts); a payment the provider has and
 * we do not have as paid is repaired only through the one "ask the provider, apply the answer" path
 * (services/reconcile.ts), whose transition and hook claim make a rerun repair nothing twice. The report is one
 * document per channel and date in `payment_reconciliations`: a rerun replaces it.
 */
import { ParamError, toVkPayError } from '../../../../../../common/errors';
import { writePaymentError } from '../logging/logs';
import { raiseAlert, runHook } from '../outbox';
import { isChannel } from '../providers/registry';
import type { Channel } from '../providers/types';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import { compareStatement, type CompareResult, type Discrepancy, type RepairResult } from '../statements/compare';
import { StatementFormatError, type StatementAnswer, type StatementRow, type StatementTotals } from '../statements/types';
import { merchantNames } from '../config/merchants';
import type { CoreContext } from './context';
import { reconcileOrder } from './reconcile';


/** How many discrepancies a report keeps in full; the count and the per-kind tally are always complete. */
export const KEPT_DISCREPANCIES = 500;
/** A statement not yet published is asked for again after this long (WeChat publishes from about 10:00 UTC+8). */
export const PENDING_RETRY_MS = 30 * 60_000;
/** After 14:00 UTC+8 on the next day a missing statement is read as a day without trades (both publish by ~10:00). */
const EMPTY_AFTER_MS = 14 * 3600_000;
const DAY_MS = 86_400_000;
const UTC8_MS = 8 * 3600_000;

export type ReportStatus = 'done' | 'pending' | 'failed';

export interface ReconciliationReport extends Partial<CompareResult> {
  _id?: string;
  channel: Channel;
  date: string;
  status: ReportStatus;
  discrepancy_count?: number;
  discrepancy_kinds?: Record<string, number>;
  /** the statement's own totals, when it declares them */
  provider_summary?: unknown;
  /** why a report is pending or failed */
  reason?: string;
  attempts: number;
  next_attempt_at?: number;
  source: string;
  update_date: number;
}

/** "YYYY-MM-DD", a real calendar day that is over in UTC+8 -> its [start, end) in ms epoch; else 40001. */
export function dayBounds(date: unknown, now: number): { start: number; end: number } {
  const m = typeof date === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date) : null;
  if (!m) throw new ParamError('date must be YYYY-MM-DD');
  const midnightUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(midnightUtc).toISOString().slice(0, 10) !== date) throw new ParamError(`date ${String(date)} is not a calendar day`);
  const start = midnightUtc - UTC8_MS;
  const end = start + DAY_MS;
  if (end > now) throw new ParamError(`date ${String(date)} has not ended yet (UTC+8): statements cover whole days`);
  return { start, end };
}

/** The day before `now`'s day, UTC+8, as YYYY-MM-DD. */
export function yesterdayUtc8(now: number): string {
  return new Date(now + UTC8_MS - DAY_MS).toISOString().slice(0, 10);
}

export function findReport(ctx: CoreContext, channel: Channel, date: string): Promise<ReconciliationReport | null> {
  return ctx.dao.findByWhereJson<ReconciliationReport>({ dbName: COLLECTIONS.reconciliations, whereJson: { channel, date } });
}

/** Every field a report may carry besides channel and date: a replacing write removes the ones it does not set. */
const REPORT_FIELDS = ['status', 'reason', 'attempts', 'next_attempt_at', 'source', 'update_date', 'provider_count', 'local_count', 'matched', 'repaired',
  'discrepancies', 'discrepancy_count', 'discrepancy_kinds', 'provider_totals', 'local_totals', 'provider_summary'] as const;

async function store(ctx: CoreContext, previous: ReconciliationReport | null, report: ReconciliationReport): Promise<ReconciliationReport> {
  const { _id, ...data } = report;
  void _id;
  if (previous?._id) {
    // a rerun REPLACES the report: what the new one does not say (an old pending reason, old counts) goes
    const _ = ctx.db.command;
    const replacing: Record<string, unknown> = { ...data };
    for (const f of REPORT_FIELDS) if (!(f in data) && f in previous) replacing[f] = _.remove();
    await ctx.dao.update({ dbName: COLLECTIONS.reconciliations, whereJson: { _id: previous._id }, dataJson: replacing });
    return { ...data, _id: previous._id };
  }
  try {
    const id = await ctx.dao.add({ dbName: COLLECTIONS.reconciliations, dataJson: data, cancelAddTime: true });
    return { ...data, _id: id ?? undefined };
  } catch (err) {
    // two runs of the same day at once: the unique (channel, date) index kept one document; replace it
    await ctx.dao.update({ dbName: COLLECTIONS.reconciliations, whereJson: { channel: report.channel, date: report.date }, dataJson: data });
    return data;
  }
}

/** The repair: the provider is asked again and its answer applied by the one path; a hook it made owed runs now. */
function repairer(ctx: CoreContext, source: string) {
  return async (order: OrderDoc): Promise<RepairResult> => {
    const r = await reconcileOrder(ctx, order, { source, reportRepairs: true });
    for (const hook of r.hooks) {
      try {
        await runHook(ctx, hook);
      } catch (err) {
        // the hook stays owed; the timer's hook step retries it
        await writePaymentError(ctx, { action: 'reconcile.hook', error: err, out_trade_no: order.out_trade_no });
      }
    }
    return { ok: r.outcome === 'repaired' || r.outcome === 'paid_after_close' || r.outcome === 'already_paid', outcome: r.outcome };
  };
}

/**
 * The day's statement of every merchant of the channel (config/merchants.ts), as one: each merchant's statement
 * lists its own trades only, so together they cover the channel's books. Pending while any one is (say which);
 * the totals are the sum of the merchants' own (none when one of them has none); an unreadable one throws.
 */
async function statementOfEveryMerchant(ctx: CoreContext, channel: Channel, date: string, late: boolean): Promise<StatementAnswer> {
  const rows: StatementRow[] = [];
  let summary: StatementTotals | null = null;
  let ready = 0;
  const pending: Array<{ merchant: string; reason: string; maybeEmpty?: boolean }> = [];
  const names = merchantNames(ctx.config, channel);
  for (const merchant of names) {
    const download = ctx.provider(channel, merchant).downloadStatement;
    if (!download) continue;
    const answer = await download(date);
    // long after publication time a merchant's "no statement" means it had no trade that day (as for one merchant)
    if (answer.state === 'pending' && answer.maybeEmpty && late) continue;
    if (answer.state === 'pending') { pending.push({ merchant, reason: answer.reason, maybeEmpty: answer.maybeEmpty }); continue; }
    rows.push(...answer.statement.rows);
    const s = answer.statement.summary;
    summary = ready === 0 ? s : summary && s ? { count: summary.count + s.count, amount: summary.amount + s.amount, refunds: summary.refunds + s.refunds, fees: summary.fees + s.fees } : null;
    ready++;
  }
  if (pending.length === 0) return { state: 'ready', statement: { rows, summary } };
  const reason = names.length > 1 ? pending.map((p) => `${p.merchant}: ${p.reason}`).join('; ') : pending[0].reason;
  return { state: 'pending', reason, maybeEmpty: pending.every((p) => p.maybeEmpty) };
}

/**
 * `recordFailure` (the timer): a call that fails for any reason is stored as a failed report with its next
 * attempt time, so the timer waits for it instead of calling again every minute; the admin's call rethrows.
 */
export async function reconcileDay(ctx: CoreContext, p: { channel: unknown; date: unknown; source: string; recordFailure?: boolean }): Promise<ReconciliationReport> {
  if (!isChannel(p.channel)) throw new ParamError('channel is not a payment channel');
  const channel = p.channel;
  if (!ctx.provider(channel).downloadStatement) throw new ParamError(`channel ${channel} publishes no daily statement`);
  const date = p.date as string;
  const { start, end } = dayBounds(date, ctx.now());
  const previous = await findReport(ctx, channel, date);
  const attempts = (previous?.attempts ?? 0) + 1;
  // repairs an earlier run made stay listed whatever this run finds (they happened)
  const base = { channel, date, attempts, source: p.source, ...(previous?.repaired?.length ? { repaired: previous.repaired } : {}) };

  let answer: StatementAnswer;
  try {
    answer = await statementOfEveryMerchant(ctx, channel, date, ctx.now() >= end + EMPTY_AFTER_MS);
  } catch (err) {
    if (!(err instanceof StatementFormatError)) {
      if (!p.recordFailure) throw err;
      const reason = `${toVkPayError(err).code} ${(err as Error).message}`.slice(0, 500);
      return store(ctx, previous, { ...base, status: 'failed', reason, next_attempt_at: ctx.now() + PENDING_RETRY_MS, update_date: ctx.now() });
    }
    await raiseAlert(ctx, { kind: 'statement_unreadable', dedupe_key: `statement_unreadable:${channel}:${date}:${attempts}`, message: `the ${channel} statement of ${date} cannot be trusted (${err.message}); nothing was repaired` });
    return store(ctx, previous, { ...base, status: 'failed', reason: err.message.slice(0, 500), next_attempt_at: ctx.now() + PENDING_RETRY_MS, update_date: ctx.now() });
  }
  if (answer.state === 'pending' && answer.maybeEmpty && ctx.now() >= end + EMPTY_AFTER_MS) {
    // long after publication time, "no statement" means no trade that day: compare our books with nothing
    answer = { state: 'ready', statement: { rows: [], summary: null } };
  }
  if (answer.state === 'pending') {
    return store(ctx, previous, { ...base, status: 'pending', reason: answer.reason.slice(0, 200), next_attempt_at: ctx.now() + PENDING_RETRY_MS, update_date: ctx.now() });
  }

  const result = await compareStatement(ctx, {
    channel, start, end, rows: answer.statement.rows, summary: answer.statement.summary,
    repair: repairer(ctx, 'statement'), repairedBefore: previous?.repaired ?? [],
  });
  const kinds: Record<string, number> = {};
  for (const d of result.discrepancies) kinds[d.kind] = (kinds[d.kind] ?? 0) + 1;
  const report: ReconciliationReport = {
    ...base, ...result, status: 'done', discrepancies: result.discrepancies.slice(0, KEPT_DISCREPANCIES),
    discrepancy_count: result.discrepancies.length, discrepancy_kinds: kinds, provider_summary: answer.statement.summary ?? undefined, update_date: ctx.now(),
  };
  if (!answer.statement.summary) delete report.provider_summary;
  const stored = await store(ctx, previous, report);
  const unsettled = result.discrepancies.filter((d: Discrepancy) => d.kind !== 'repaired');
  if (unsettled.length > 0) {
    // the same disagreements found again by a rerun are not news; repairs were alerted by the repair itself
    const tally = Object.entries(kinds).filter(([k]) => k !== 'repaired').map(([k, n]) => `${k} ${n}`).join(', ');
    await raiseAlert(ctx, { kind: 'statement_mismatch', dedupe_key: `statement_mismatch:${channel}:${date}:${tally}`, message: `the ${channel} statement of ${date} does not match our books: ${tally}` });
  }
  return stored;
}

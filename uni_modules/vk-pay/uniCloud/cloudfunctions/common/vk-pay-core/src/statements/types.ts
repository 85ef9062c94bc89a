/**
 * What a provider's daily statement says, in our terms: one row per payment and one per refund, money in
 * integer fen, plus the statement's own totals when it carries them. The parsers (wxpay-bill.ts,
 * alipay-bill.ts) map the providers' column names onto these shapes; the comparison (daily-reconcile) knows
 * nothing of CSV, charsets or archives.
 */
export interface StatementPayment {
  kind: 'payment';
  out_trade_no: string;
  transaction_id: string;
  /** integer fen: what the order was for */
  amount: number;
  /** integer fen: the provider's service fee on this payment (0 when none) */
  fee: number;
  /** the provider's time text (UTC+8, as printed) */
  time: string;
  /** a payment later revoked (WeChat's REVOKED rows): money that did not stay */
  revoked?: boolean;
}

export interface StatementRefund {
  kind: 'refund';
  out_trade_no: string;
  transaction_id: string;
  /** our refund number (WeChat 商户退款单号, Alipay 退款批次号/请求号) */
  out_refund_no: string;
  refund_id: string;
  /** integer fen, positive: what went back to the payer */
  amount: number;
  /** integer fen, positive: the fee the provider gave back with it (0 when none) */
  fee: number;
  time: string;
}

export type StatementRow = StatementPayment | StatementRefund;

/** Totals in integer fen; `amount` is what was paid, `refunds` what went back, `fees` payment fees less fees returned. */
export interface StatementTotals {
  count: number;
  amount: number;
  refunds: number;
  fees: number;
}

export interface ParsedStatement {
  rows: StatementRow[];
  /** the statement's own totals (WeChat's summary row); null when the format has none */
  summary: StatementTotals | null;
}

/** The bytes are not a statement we can trust to read: an alert, never a repair. */
export class StatementFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatementFormatError';
  }
}

/** Adds one row to running totals (payments count; refunds and the fees they give back reduce nothing but their own columns). */
export function addTo(t: StatementTotals, r: StatementRow): void {
  if (r.kind === 'payment') {
    t.count += 1;
    t.amount += r.amount;
    t.fees += r.fee;
  } else {
    t.refunds += r.amount;
    t.fees -= r.fee;
  }
}

export function totalsOf(rows: Iterable<StatementRow>): StatementTotals {
  const t: StatementTotals = { count: 0, amount: 0, refunds: 0, fees: 0 };
  for (const r of rows) addTo(t, r);
  return t;
}

/**
 * What a provider answers for one day: the statement (downloaded, verified, parsed), or `pending` when the
 * provider has not published it yet (WeChat NO_STATEMENT_EXIST, Alipay's bill-not-exist) - a later run retries.
 * A statement that fails its hash or cannot be read throws StatementFormatError instead.
 */
export type StatementAnswer =
  | { state: 'ready'; statement: ParsedStatement }
  /** maybeEmpty: the provider's word also means "no trade that day" (WeChat NO_STATEMENT_EXIST, Alipay bill-not-exist) */
  | { state: 'pending'; reason: string; maybeEmpty?: boolean };

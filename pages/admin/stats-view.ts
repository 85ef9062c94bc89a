/**
 * Reads the admin methods' answers into what the dashboard draws. getStats is built by another part of the
 * plugin, so the names it may use are accepted here (snake_case and camelCase), rates as 0..1 or 0..100, and any
 * other number is still shown in the "other figures" table rather than dropped.
 */
export interface RateBar { label: string; percent: number | undefined }
export interface LatencyRow { provider: string; avg?: number; max?: number; min?: number; count?: number }
export interface Breakdown { key: string; entries: { name: string; value: number }[] }
export interface StatsView {
  rates: RateBar[];
  counts: { label: string; value: number | undefined }[];
  latency: LatencyRow[];
  /** `*_by_*` maps such as orders_by_status or errors_by_code */
  breakdowns: Breakdown[];
  other: { key: string; value: number }[];
}
export interface Page<T> { rows: T[]; total: number | undefined; hasMore: boolean }

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function pick(o: Obj, keys: readonly string[]): { key: string; value: unknown } | undefined {
  for (const k of keys) if (k in o) return { key: k, value: o[k] };
  return undefined;
}
/** A rate as a percentage: 0.97 and 97 both mean 97 %. */
export function toPercent(v: unknown): number | undefined {
  const n = num(v);
  if (n === undefined) return undefined;
  return n <= 1 ? Math.round(n * 1000) / 10 : Math.round(n * 10) / 10;
}
/** A count, or the length of a list of orders. */
function count(v: unknown): number | undefined {
  if (Array.isArray(v)) return v.length;
  if (isObj(v)) return num(v.count) ?? num(v.total);
  return num(v);
}

const RATE_KEYS = {
  'Payment success rate': ['success_rate', 'successRate', 'pay_success_rate'],
  'Notification success rate': ['notify_success_rate', 'notification_success_rate', 'notifySuccessRate', 'notificationSuccessRate'],
  'Refund success rate': ['refund_success_rate', 'refundSuccessRate'],
} as const;
const COUNT_KEYS = {
  Orders: ['orders', 'total_orders', 'order_count', 'totalOrders'],
  Paid: ['paid', 'paid_orders', 'paid_count', 'paidOrders'],
  'Pending (created in range)': ['pending', 'pending_orders', 'pending_count', 'pendingOrders'],
  'Pending now': ['pending_now', 'pendingNow'],
  'Mismatches repaired': ['mismatches', 'mismatched', 'mismatch_count', 'mismatches_repaired', 'mismatchesRepaired'],
  'Paid after close': ['paid_after_close', 'paidAfterClose'],
} as const;
const LATENCY_KEYS = ['latency', 'latency_by_provider', 'provider_latency', 'response_time', 'provider_response_time', 'latencyByProvider'] as const;

function latencyRows(v: unknown): LatencyRow[] {
  const row = (provider: string, o: unknown): LatencyRow => {
    const r = isObj(o) ? o : {};
    return {
      provider,
      avg: num(r.avg) ?? num(r.avg_ms) ?? num(r.avgMs),
      max: num(r.max) ?? num(r.max_ms) ?? num(r.maxMs),
      min: num(r.min) ?? num(r.min_ms) ?? num(r.minMs),
      count: num(r.count) ?? num(r.calls) ?? num(r.n),
    };
  };
  if (Array.isArray(v)) return v.filter(isObj).map((o) => row(String(o.provider ?? o.channel ?? o._id ?? '?'), o));
  if (isObj(v)) return Object.entries(v).map(([k, o]) => row(k, o));
  return [];
}

export function readStats(data: unknown): StatsView {
  const o = isObj(data) ? data : {};
  const used = new Set<string>();
  const take = (keys: readonly string[]) => {
    const hit = pick(o, keys);
    if (hit) used.add(hit.key);
    return hit?.value;
  };
  const rates = Object.entries(RATE_KEYS).map(([label, keys]) => ({ label, percent: toPercent(take(keys)) }));
  const counts = Object.entries(COUNT_KEYS).map(([label, keys]) => ({ label, value: count(take(keys)) }));
  const latency = latencyRows(take(LATENCY_KEYS));
  const breakdowns = Object.entries(o)
    .filter(([k, v]) => !used.has(k) && isObj(v) && Object.values(v).every((n) => num(n) !== undefined))
    .map(([key, v]) => ({ key, entries: Object.entries(v as Obj).map(([name, n]) => ({ name, value: n as number })) }));
  const other = Object.entries(o)
    .filter(([k, v]) => !used.has(k) && num(v) !== undefined)
    .map(([key, v]) => ({ key, value: v as number }));
  return { rates, counts, latency, breakdowns, other };
}

/** baseDao.select answers `{rows, total, hasMore}`; a bare array is accepted too. */
export function readPage<T = Obj>(data: unknown): Page<T> {
  if (Array.isArray(data)) return { rows: data as T[], total: data.length, hasMore: false };
  const o = isObj(data) ? data : {};
  const rows = (Array.isArray(o.rows) ? o.rows : Array.isArray(o.list) ? o.list : Array.isArray(o.items) ? o.items : []) as T[];
  return { rows, total: num(o.total), hasMore: o.hasMore === true || o.has_more === true };
}

/** Column names for a list of documents: the union of their keys, _id first, nested values shown as JSON. */
export function columnsOf(rows: readonly Obj[], limit = 8): string[] {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
  return keys.slice(0, limit);
}

export function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' && v > 1e12 && v < 1e13) return new Date(v).toISOString().replace('T', ' ').slice(0, 19);
  const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
  // a table cell is a glance, not the record: long JSON would make every row a page tall
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

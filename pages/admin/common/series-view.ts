/**
 * getStats and getTimeSeries answers, typed as the core sends them, and the time series turned into what the
 * charts draw: axis labels in China time (hours as 14:00, days as 12-01) and one array per line, rates in percent,
 * amounts in yuan, and null where a bucket had nothing to divide (the line breaks there instead of dropping to 0).
 */
export interface Stats {
  from: number;
  to: number;
  orders: number;
  paid: number;
  paid_amount: number;
  success_rate: number | null;
  pending_now: number;
  notification_success_rate: number | null;
  missed_notifications: number;
  late_notifications: number;
  /** requests to the public notify URL that did not verify (counted per route and minute, never stored whole) */
  notifications_rejected: number;
  errors: number;
  latency_by_provider: Array<{ provider: string; calls: number; avg_ms: number; max_ms: number; min_ms: number }>;
}

export interface SeriesPoint {
  t: number;
  orders: number;
  paid: number;
  paid_amount: number;
  success_rate: number | null;
  payments: number;
  notified: number;
  notification_success_rate: number | null;
  notify_latency_ms: number | null;
}

export interface Series { from: number; to: number; bucket: 'hour' | 'day'; points: SeriesPoint[] }

export interface SeriesView {
  categories: string[];
  orders: number[];
  paid: number[];
  amountYuan: number[];
  successPct: Array<number | null>;
  notifyPct: Array<number | null>;
  latencyMs: Array<number | null>;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function bucketLabel(t: number, bucket: 'hour' | 'day'): string {
  const d = new Date(t + 8 * 3600_000);
  return bucket === 'hour' ? `${pad(d.getUTCHours())}:00` : `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

const pct = (r: number | null) => (r === null ? null : Math.round(r * 1000) / 10);

export function seriesView(s: Series): SeriesView {
  return {
    categories: s.points.map((p) => bucketLabel(p.t, s.bucket)),
    orders: s.points.map((p) => p.orders),
    paid: s.points.map((p) => p.paid),
    amountYuan: s.points.map((p) => p.paid_amount / 100),
    successPct: s.points.map((p) => pct(p.success_rate)),
    notifyPct: s.points.map((p) => pct(p.notification_success_rate)),
    latencyMs: s.points.map((p) => p.notify_latency_ms),
  };
}

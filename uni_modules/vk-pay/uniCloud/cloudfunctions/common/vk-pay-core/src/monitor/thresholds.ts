/**
 * Alert thresholds (config `alerts.thresholds`, validated and defaulted by the config schema in
 * config/operations-schema.ts) and their evaluation from the stored logs. A violated threshold raises one alert
 * row per kind per window; delivery (alerts.ts) then sends at most one message per kind per window.
 */
import { ParamError } from '../../../../../../common/errors';
import { alertThresholdsSchema, type AlertThresholdsConfig } from '../config/operations-schema';
import type { VkPayConfig } from '../config/schema';
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';
import type { AlertKind } from '../outbox/alerts';
import { raiseThrottled } from './alert-store';
import { PROVIDER_CALL_TYPES } from './stats';

/** The thresholds; each field is documented on the schema (config/operations-schema.ts). */
export type AlertThresholds = AlertThresholdsConfig;

export const DEFAULT_THRESHOLDS: AlertThresholds = Object.freeze(alertThresholdsSchema.parse({}));

/** Config (`alerts.thresholds`) then code overrides, held to the same schema. Throws ParamError naming each bad field. */
export function resolveThresholds(config: VkPayConfig | undefined, overrides: Partial<AlertThresholds> = {}): AlertThresholds {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const result = alertThresholdsSchema.safeParse({ ...(config?.alerts?.thresholds ?? {}), ...given });
  if (!result.success) {
    throw new ParamError(`vk-pay alert thresholds: ${result.error.issues.map((i) => `alerts.thresholds.${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

export interface ThresholdReading { kind: AlertKind; value: number; limit: number; sample: number; message: string }

/** Reads the current figures and returns the thresholds they break (nothing is written). */
export async function readThresholds(ctx: StoreContext, t: AlertThresholds, now: number): Promise<ThresholdReading[]> {
  const _ = ctx.db.command;
  const since = (ms: number) => ({ create_date: _.gt(now - ms).and(_.lte(now)) });
  const count = (dbName: string, whereJson: Record<string, unknown>) => ctx.dao.count({ dbName, whereJson });
  const opTypes = [...PROVIDER_CALL_TYPES, 'notify'];
  const out: ThresholdReading[] = [];

  const [ops, errs] = await Promise.all([
    count(COLLECTIONS.logs, { ...since(t.errorWindowMs), type: _.in(opTypes) }),
    count(COLLECTIONS.errors, since(t.errorWindowMs)),
  ]);
  if (ops >= t.minSample && errs / ops > t.errorRate) {
    out.push({ kind: 'error_rate', value: errs / ops, limit: t.errorRate, sample: ops, message: `error rate ${pct(errs / ops)} (${errs} errors / ${ops} operations) in the last ${mins(t.errorWindowMs)} is above ${pct(t.errorRate)}` });
  }

  const [calls, failed] = await Promise.all([
    count(COLLECTIONS.logs, { ...since(t.successWindowMs), type: _.in(opTypes) }),
    count(COLLECTIONS.logs, { ...since(t.successWindowMs), type: _.in(opTypes), status: 'fail' }),
  ]);
  if (calls >= t.minSample && (calls - failed) / calls < t.successRate) {
    out.push({ kind: 'success_rate', value: (calls - failed) / calls, limit: t.successRate, sample: calls, message: `success rate ${pct((calls - failed) / calls)} of ${calls} provider calls and notifications in the last ${mins(t.successWindowMs)} is below ${pct(t.successRate)}` });
  }

  const [refundOk, refundFailed] = await Promise.all([
    count(COLLECTIONS.refunds, { ...since(t.refundWindowMs), status: 'success' }),
    count(COLLECTIONS.refunds, { ...since(t.refundWindowMs), status: 'failed' }),
  ]);
  const finished = refundOk + refundFailed;
  if (finished >= Math.min(t.minSample, 5) && refundOk / finished < t.refundSuccessRate) {
    out.push({ kind: 'refund_success_rate', value: refundOk / finished, limit: t.refundSuccessRate, sample: finished, message: `refund success ${pct(refundOk / finished)} (${refundOk} of ${finished}) in the last ${mins(t.refundWindowMs)} is below ${pct(t.refundSuccessRate)}` });
  }

  const late = await lateNotifications(ctx, t, now);
  if (late.length > 0) {
    const worst = Math.max(...late.map((l) => l.delay));
    out.push({ kind: 'notify_late', value: worst, limit: t.notifyLateMs, sample: late.length, message: `${late.length} payment notification(s) arrived more than ${Math.round(t.notifyLateMs / 1000)} s after the payment (worst ${Math.round(worst / 1000)} s: ${late[0].out_trade_no})` });
  }
  return out;
}

/** Payment notifications of the last window that came more than notifyLateMs after the order's paid_at. */
async function lateNotifications(ctx: StoreContext, t: AlertThresholds, now: number): Promise<Array<{ out_trade_no: string; delay: number }>> {
  const _ = ctx.db.command;
  const recent = await ctx.dao.select<{ out_trade_no: string; create_date: number }>({
    dbName: COLLECTIONS.notifications,
    whereJson: { kind: 'paid', create_date: _.gt(now - t.windowMs) },
    fieldJson: { out_trade_no: true, create_date: true },
    pageSize: 500,
  });
  const nos = [...new Set(recent.rows.map((r) => r.out_trade_no).filter(Boolean))];
  if (nos.length === 0) return [];
  const orders = await ctx.dao.select<{ out_trade_no: string; paid_at?: number }>({
    dbName: COLLECTIONS.orders, whereJson: { out_trade_no: _.in(nos) }, fieldJson: { out_trade_no: true, paid_at: true }, pageSize: 500,
  });
  const paidAt = new Map(orders.rows.map((o) => [o.out_trade_no, o.paid_at]));
  const late: Array<{ out_trade_no: string; delay: number }> = [];
  for (const n of recent.rows) {
    const p = paidAt.get(n.out_trade_no);
    if (typeof p === 'number' && n.create_date - p > t.notifyLateMs) late.push({ out_trade_no: n.out_trade_no, delay: n.create_date - p });
  }
  return late.sort((a, b) => b.delay - a.delay);
}

/** Raises each broken threshold, at most once per kind per window. Returns how many alerts were raised. */
export async function evaluateThresholds(ctx: StoreContext, t: AlertThresholds, now: number): Promise<number> {
  let raised = 0;
  for (const r of await readThresholds(ctx, t, now)) {
    if (await raiseThrottled(ctx, { kind: r.kind, message: r.message }, t.windowMs, now)) raised++;
  }
  return raised;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10} %`;
}
function mins(ms: number): string {
  return ms >= 3600_000 ? `${Math.round(ms / 360_000) / 10} h` : `${Math.round(ms / 6000) / 10} min`;
}

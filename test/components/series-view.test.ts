import { describe, expect, it } from 'vitest';
import { bucketLabel, seriesView } from '../../pages/admin/common/series-view';
import { parseYuan, validateAmount } from '../../pages/checkout/amount';

describe('admin charts: series view', () => {
  it('labels buckets in China time and keeps empty rates as gaps', () => {
    const t0 = Date.UTC(2026, 11, 1, 16); // 00:00 on 2 Dec in China
    expect(bucketLabel(t0, 'hour')).toBe('00:00');
    expect(bucketLabel(t0, 'day')).toBe('12-02');
    const v = seriesView({ from: t0, to: t0 + 7200_000, bucket: 'hour', points: [
      { t: t0, orders: 2, paid: 1, paid_amount: 990, success_rate: 0.5, payments: 1, notified: 0, notification_success_rate: 0, notify_latency_ms: null },
      { t: t0 + 3600_000, orders: 0, paid: 0, paid_amount: 0, success_rate: null, payments: 0, notified: 0, notification_success_rate: null, notify_latency_ms: 120 },
    ] });
    expect(v).toEqual({
      categories: ['00:00', '01:00'], orders: [2, 0], paid: [1, 0], amountYuan: [9.9, 0],
      successPct: [50, null], notifyPct: [0, null], latencyMs: [null, 120],
    });
  });
});

describe('checkout: the amount against getPayOptions limits', () => {
  it('parses yuan to fen and names the limit that was crossed', () => {
    expect(parseYuan('0.01')).toBe(1);
    expect(parseYuan('12.3')).toBe(1230);
    for (const bad of ['', '0', '0.001', '-1', '1e3', 'abc', '1.']) expect(parseYuan(bad)).toBeUndefined();
    const rule = { min: 100, max: 1_000_000 };
    expect(validateAmount('0.5', rule)).toEqual({ kind: 'min', limit: 100 });
    expect(validateAmount('10000.01', rule)).toEqual({ kind: 'max', limit: 1_000_000 });
    expect(validateAmount('abc', rule)).toEqual({ kind: 'format' });
    expect(validateAmount('1', rule)).toBeNull();
  });
});

describe('admin order search: checked before any request', () => {
  it('accepts real China dates and the listed statuses; names what is wrong otherwise', async () => {
    const { parseSearch, parseChinaDate } = await import('../../pages/admin/common/search');
    const empty = { out_trade_no: '', user_id: '', status: '', provider: '', from: '', to: '' };
    expect(parseChinaDate('2026-12-02')).toBe(Date.UTC(2026, 11, 1, 16));
    expect(parseChinaDate('2026-12-02', true)).toBe(Date.UTC(2026, 11, 2, 16) - 1);
    expect(parseChinaDate('2026-02-30')).toBeUndefined();
    expect(parseChinaDate('2026-13-01')).toBeUndefined();
    expect(parseChinaDate('yesterday')).toBeUndefined();
    expect(parseSearch({ ...empty, status: 'paid', from: '2026-12-01', to: '2026-12-02' })).toMatchObject({ ok: true, search: { status: 'paid' } });
    expect(parseSearch({ ...empty, from: '2026-31-12' })).toMatchObject({ ok: false, problem: { key: 'orders.bad.date' } });
    expect(parseSearch({ ...empty, status: 'payed' })).toMatchObject({ ok: false, problem: { key: 'orders.bad.status' } });
    expect(parseSearch({ ...empty, from: '2026-12-03', to: '2026-12-01' })).toMatchObject({ ok: false, problem: { key: 'orders.bad.range' } });
    expect(parseSearch({ ...empty, out_trade_no: "x' or 1" })).toMatchObject({ ok: false, problem: { key: 'orders.bad.no' } });
  });
});

// @vitest-environment node
/** The dashboard's readers of admin answers, and which pay_type each platform offers on the checkout page. */
import { describe, expect, it } from 'vitest';
import { cellText, columnsOf, readPage, readStats, toPercent } from '../../pages/admin/stats-view';
import { payTypesFor, providersFor } from '../../uni_modules/vk-pay/components/vk-pay/pay-types';

describe('readStats', () => {
  it('reads rates as 0..1 or 0..100, counts, lists and latency by provider, and keeps unknown numbers', () => {
    const v = readStats({
      success_rate: 0.975,
      notifySuccessRate: 99,
      orders: 40,
      paid: 39,
      pending: [{ out_trade_no: 'a' }, { out_trade_no: 'b' }],
      mismatches_repaired: { count: 3 },
      latency: { wxpay: { avg: 120.4, max: 300, min: 50, count: 10 }, alipay: { avg_ms: 80, max_ms: 90, min_ms: 70 } },
      refunds: 2,
      label: 'not a number',
    });
    expect(v.rates).toEqual([
      { label: 'Payment success rate', percent: 97.5 },
      { label: 'Notification success rate', percent: 99 },
      { label: 'Refund success rate', percent: undefined },
    ]);
    expect(v.counts).toEqual([
      { label: 'Orders', value: 40 },
      { label: 'Paid', value: 39 },
      { label: 'Pending (created in range)', value: 2 },
      { label: 'Pending now', value: undefined },
      { label: 'Mismatches repaired', value: 3 },
      { label: 'Paid after close', value: undefined },
    ]);
    expect(v.latency).toEqual([
      { provider: 'wxpay', avg: 120.4, max: 300, min: 50, count: 10 },
      { provider: 'alipay', avg: 80, max: 90, min: 70, count: undefined },
    ]);
    expect(v.other).toEqual([{ key: 'refunds', value: 2 }]);
  });

  it('reads the core PaymentStats shape: latency rows with calls/avg_ms, *_by_* maps as breakdowns, null rates', () => {
    const v = readStats({
      from: 1, to: 2, orders: 3, paid: 1, paid_amount: 990, success_rate: 0.3333, notification_success_rate: null, pending: 2, pending_now: 5,
      mismatches_repaired: 1, paid_after_close: 0, latency_by_provider: [{ provider: 'wxpay', calls: 4, avg_ms: 12.5, max_ms: 20, min_ms: 5 }],
      orders_by_status: { paid: 1, pending: 2 }, errors_by_code: {}, refund_success_rate: null,
    });
    expect(v.rates.map((r) => r.percent)).toEqual([33.3, undefined, undefined]);
    expect(v.counts.find((c) => c.label === 'Pending now')?.value).toBe(5);
    expect(v.latency).toEqual([{ provider: 'wxpay', avg: 12.5, max: 20, min: 5, count: 4 }]);
    expect(v.breakdowns).toEqual([
      { key: 'orders_by_status', entries: [{ name: 'paid', value: 1 }, { name: 'pending', value: 2 }] },
      { key: 'errors_by_code', entries: [] },
    ]);
    expect(v.other).toEqual([{ key: 'from', value: 1 }, { key: 'to', value: 2 }, { key: 'paid_amount', value: 990 }]);
  });

  it('reads latency given as a list of {provider, ...} rows, and survives an empty answer', () => {
    expect(readStats({ provider_latency: [{ provider: 'alipay', avg: 5 }] }).latency).toEqual([{ provider: 'alipay', avg: 5, max: undefined, min: undefined, count: undefined }]);
    const empty = readStats(null);
    expect(empty.latency).toEqual([]);
    expect(empty.rates.every((r) => r.percent === undefined)).toBe(true);
    expect(toPercent(1)).toBe(100);
    expect(toPercent(0)).toBe(0);
    expect(toPercent('1')).toBeUndefined();
  });
});

describe('readPage and table cells', () => {
  it('reads baseDao.select pages and bare arrays', () => {
    expect(readPage({ rows: [{ a: 1 }], total: 11, hasMore: true })).toEqual({ rows: [{ a: 1 }], total: 11, hasMore: true });
    expect(readPage([{ a: 1 }, { a: 2 }])).toEqual({ rows: [{ a: 1 }, { a: 2 }], total: 2, hasMore: false });
    expect(readPage({})).toEqual({ rows: [], total: undefined, hasMore: false });
  });
  it('lists columns in first-seen order and prints ms timestamps as UTC dates and objects as JSON', () => {
    expect(columnsOf([{ _id: 1, a: 2 }, { b: 3, a: 4 }])).toEqual(['_id', 'a', 'b']);
    expect(cellText(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('2026-01-02 03:04:05');
    expect(cellText({ x: 1 })).toBe('{"x":1}');
    expect(cellText(undefined)).toBe('');
    expect(cellText(42)).toBe('42');
    expect(cellText('x'.repeat(500))).toHaveLength(158);
  });
});

describe('pay types per platform', () => {
  it('offers mini-program pay only on its own provider, App pay on App, QR and pages on H5', () => {
    expect(providersFor('mp-weixin')).toEqual(['wxpay']);
    expect(payTypesFor('wxpay', 'mp-weixin')).toEqual(['mp']);
    expect(payTypesFor('alipay', 'mp-weixin')).toEqual([]);
    expect(payTypesFor('alipay', 'mp-alipay')).toEqual(['mp']);
    expect(payTypesFor('alipay', 'app')).toEqual(['app']);
    expect(payTypesFor('wxpay', 'web')).toContain('native');
    expect(payTypesFor('alipay', 'web')).toEqual(['page', 'wap', 'qr']);
  });
});

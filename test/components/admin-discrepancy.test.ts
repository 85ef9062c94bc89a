import { describe, expect, it } from 'vitest';
import { discrepancyAmounts } from '../../pages/admin/common/discrepancy';
import zhHans from '../../locale/zh-Hans.json';
import en from '../../locale/en.json';

// Outside uni-app the locale is English; the browser test reads the Chinese line on the page.
describe('admin reconciliation: a discrepancy\'s amounts in yuan', () => {
  it('names both sides when both carry an amount, one side when only one does, nothing otherwise', () => {
    expect(discrepancyAmounts({ provider: { amount: 1234, fee: 7 }, local: { status: 'paid', amount: 1200 } })).toBe('¥12.34 (provider) vs ¥12.00 (local)');
    expect(discrepancyAmounts({ provider: { amount: 500, refund_id: 'R1' } })).toBe('¥5.00 (provider)');
    expect(discrepancyAmounts({ local: { status: 'processing', amount: 1 } })).toBe('¥0.01 (local)');
    // an order paid twice (two statement rows), totals that disagree: no single amount to name
    expect(discrepancyAmounts({ provider: { first: { amount: 100 }, second: { amount: 100 } } })).toBe('');
    expect(discrepancyAmounts({ provider: { summary: {}, rows: {} } })).toBe('');
    // a stored side that is not integer fen is not shown as money
    expect(discrepancyAmounts({ provider: { amount: '12.34' }, local: { amount: 12.5 } })).toBe('');
  });

  it('has the line in Chinese and in English', () => {
    for (const m of [zhHans, en]) for (const k of ['rec.amounts.both', 'rec.amounts.provider', 'rec.amounts.local'] as const) expect(m[k]).toBeTruthy();
    expect(zhHans['rec.amounts.both']).toBe('{provider}（渠道）vs {local}（本地）');
  });
});

/**
 * The admin console in the real H5 build (issue 10), at a phone and a desktop size: sign-in decided by the server
 * (a uni-id user without the admin role stays on the sign-in screen and sees no data), the overview with its
 * uCharts charts and a notification success rate that counts a payment the query repaired as missed, the order
 * list with search and paging (a malformed date or an unknown status is a message, not a request), the order page
 * with its history and actions (a refund above the refundable amount refused on the page; a good one confirmed and
 * made), and logs/errors as time-first tables without stack traces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Request } from 'playwright-core';
import { DESKTOP, PHONE, VIEWPORTS, callAs, cloudCallOf, devToken, expectNoSidewaysScroll, sandboxControl, startHarness, type Harness } from './harness';
import { DAY, utc8Date } from '../support/utc8-clock';

let h: Harness;
const shots: string[] = [];
/** seeded orders: paid with their notification, paid with it lost (repaired by a query), and pending */
const seeded = { notified: [] as string[], repaired: '', pending: [] as string[] };

async function shot(page: Page, name: string): Promise<void> {
  shots.push(await h.screenshot(page, name));
}

async function pay(no: string, lost = false): Promise<void> {
  if (lost) await sandboxControl(h.host, 'faults', { channel: 'wxpay', unreachable: true });
  await sandboxControl(h.host, 'pay', { channel: 'wxpay', out_trade_no: no });
  if (lost) await sandboxControl(h.host, 'faults', { channel: 'wxpay' });
}

beforeAll(async () => {
  h = await startHarness();
  // three paid recharges (one whose notification never arrives), a paid goods order, and 21 pending orders of
  // 21 people (more than a page of 20)
  const shopper = await devToken(h.host, 'shopper');
  for (const amount of [100, 200, 300]) {
    const c = await callAs<{ out_trade_no: string }>(h.host, 'createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount }, { token: shopper });
    await pay(c.out_trade_no, amount === 300);
    if (amount === 300) seeded.repaired = c.out_trade_no;
    else seeded.notified.push(c.out_trade_no);
  }
  await new Promise((r) => setTimeout(r, 1500)); // the notifications of the first two arrive
  await callAs(h.host, 'queryPayment', { out_trade_no: seeded.repaired }, { token: shopper }); // the query repairs the third
  for (let i = 0; i < 21; i++) {
    const token = await devToken(h.host, `walker-${i}`);
    seeded.pending.push((await callAs<{ out_trade_no: string }>(h.host, 'createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount: 50 + i }, { token })).out_trade_no);
  }
  // one refused call, for the errors table
  await callAs(h.host, 'createPayment', { provider: 'wxpay', pay_type: 'native', type: 'goods', goods_id: 'nope' }, { token: shopper }).catch(() => {});
});
afterAll(async () => {
  const external = [...(h?.external ?? [])];
  await h?.close();
  // every screen above, every payment made: nothing tried to leave the machine
  expect(external).toEqual([]);
  if (shots.length) console.log(`screenshots (${h?.shots}):\n${shots.join('\n')}`);
});

function countCalls(page: Page, method: string): { readonly n: number } {
  const counter = { n: 0 };
  page.on('request', (r: Request) => { if (cloudCallOf(r)?.method === method) counter.n += 1; });
  return counter;
}

/** Signs in as a uni-id admin through the sign-in screen (the demo's /__dev/login) and lands on the overview. */
async function signedIn(viewport: { width: number; height: number }): Promise<Page> {
  const page = await h.newPage(viewport);
  await page.goto(`${h.host.url}/#/pages/admin/login`);
  await page.locator('.uid-btn').click();
  await page.waitForURL(/pages\/admin\/dashboard/);
  await page.locator('.kpi-orders').waitFor();
  return page;
}

describe('admin sign-in', () => {
  it('shows the sign-in screen at both sizes; a uni-id user without the admin role stays there and sees no data', async () => {
    for (const vp of VIEWPORTS) {
      const page = await h.newPage(vp);
      await page.goto(`${h.host.url}/#/pages/admin/login`);
      await page.locator('.title', { hasText: '管理后台登录' }).waitFor();
      await expectNoSidewaysScroll(page);
      await shot(page, `admin-login-${vp.width}`);
      if (vp === DESKTOP) break;
      await page.locator('.uid-input input').fill('mallory');
      await page.locator('.role-input input').fill('');
      await page.locator('.uid-btn').click();
      await expect(page.locator('.login-error').innerText()).resolves.toBe('该账号没有管理员权限，或令牌不正确。');
      expect(page.url()).toMatch(/pages\/admin\/login/);
      // the same person opening a console screen directly is sent back, and no order ever reaches the page
      await page.goto(`${h.host.url}/#/pages/admin/orders`);
      await page.waitForURL(/pages\/admin\/login\?reason=denied/);
      await page.locator('.notice').waitFor();
      await expect(page.locator('.notice').innerText()).resolves.toBe('请先以管理员身份登录。');
      await expect(page.locator('.order-row').count()).resolves.toBe(0);
      await expect(page.content()).resolves.not.toContain(seeded.repaired);
      // a wrong token is refused the same way
      await page.locator('.token-input input').fill('not-the-admin-token-0000');
      await page.locator('.token-btn').click();
      await expect(page.locator('.login-error').innerText()).resolves.toBe('该账号没有管理员权限，或令牌不正确。');
      await shot(page, 'admin-login-denied-390');
      await page.context().close();
    }
  });

  it('the admin token opens the console too', async () => {
    const page = await h.newPage(DESKTOP);
    await page.goto(`${h.host.url}/#/pages/admin/login`);
    await page.locator('.token-input input').fill(h.host.adminToken);
    await page.locator('.token-btn').click();
    await page.waitForURL(/pages\/admin\/dashboard/);
    await page.locator('.kpi-orders').waitFor();
    await page.context().close();
  });
});

describe('admin overview', () => {
  it('figures and uCharts time series at both sizes; the payment the query repaired counts as a missed notification', async () => {
    for (const vp of VIEWPORTS) {
      const page = await signedIn(vp);
      await expect(page.locator('.kpi-orders').innerText()).resolves.toBe('24');
      await expect(page.locator('.kpi-paid').innerText()).resolves.toBe('3');
      await expect(page.locator('.kpi-notify').innerText()).resolves.toBe('66.7%');
      await expect(page.locator('.kpi-missed').innerText()).resolves.toBe('1');
      // unverified requests to the notify URL are counted (and shown), never stored whole
      await expect(page.locator('.kpi-rejected').innerText()).resolves.toMatch(/^未通过验签的通知请求 \d+$/);
      await expect.poll(() => page.locator('.ts-chart').count()).toBe(4);
      // the charts are drawn: each canvas holds more than its white background
      await page.waitForTimeout(500);
      const inked = await page.locator('.ts-chart canvas').evaluateAll((els) => els.map((el) => {
        const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) n++;
        return n;
      }));
      expect(inked.every((n) => n > 200)).toBe(true);
      await expectNoSidewaysScroll(page);
      await shot(page, `admin-dashboard-${vp.width}`);
      await page.context().close();
    }
  });
});

describe('admin orders', () => {
  it('lists orders newest first, time first, a page of 20 at a time, at both sizes', async () => {
    for (const vp of VIEWPORTS) {
      const page = await signedIn(vp);
      await page.getByText('订单', { exact: true }).first().click();
      await page.waitForURL(/pages\/admin\/orders/);
      await page.locator('.order-row').first().waitFor();
      await expect(page.locator('.total').innerText()).resolves.toBe('共 24 条');
      await expect.poll(() => page.locator('.order-row').count()).toBe(20);
      await expect(page.locator('.page-no').innerText()).resolves.toBe('第 1 / 2 页');
      await expectNoSidewaysScroll(page);
      await shot(page, `admin-orders-${vp.width}`);
      if (vp === PHONE) {
        await page.context().close();
        continue;
      }
      // time first, then the order number, both on screen at 1280 px
      const first = page.locator('.order-row').first();
      const time = (await first.locator('.c-time').boundingBox())!;
      const no = (await first.locator('.c-no').boundingBox())!;
      expect(time.x).toBeLessThan(no.x);
      expect(no.x + no.width).toBeLessThanOrEqual(DESKTOP.width);
      await page.locator('.next-btn').click();
      await expect.poll(() => page.locator('.page-no').innerText()).toBe('第 2 / 2 页');
      await expect.poll(() => page.locator('.order-row').count()).toBe(4);
      // search by status
      await page.locator('.status-choice', { hasText: '已支付' }).click();
      await page.locator('.search-btn').click();
      await expect.poll(() => page.locator('.total').innerText()).toBe('共 3 条');
      await page.context().close();
    }
  });

  it('a malformed date or an unknown status is a message on the page, and no request is made', async () => {
    const page = await signedIn(PHONE);
    await page.goto(`${h.host.url}/#/pages/admin/orders?status=payed`);
    await page.locator('.form-error').waitFor();
    await expect(page.locator('.form-error').innerText()).resolves.toBe('未知的状态：payed');
    const lists = countCalls(page, 'listOrders');
    await page.locator('.status-choice', { hasText: '全部' }).click();
    await page.locator('.f-from input').fill('2026-13-45');
    for (let i = 0; i < 5; i++) await page.locator('.search-btn').click();
    await expect(page.locator('.form-error').innerText()).resolves.toBe('日期格式不正确：2026-13-45（应为 2026-12-01 或 2026-12-01 08:30）');
    await page.locator('.f-from input').fill('2026-12-03');
    await page.locator('.f-to input').fill('2026-12-01');
    await page.locator('.search-btn').click();
    await expect(page.locator('.form-error').innerText()).resolves.toBe('开始日期不能晚于结束日期');
    await page.waitForTimeout(300);
    expect(lists.n).toBe(0);
    await shot(page, 'admin-orders-bad-date-390');
    await page.context().close();
  });
});

describe('admin order page', () => {
  it('shows history, transactions, notifications and hook runs; refuses an over-refund on the page, confirms and makes a good one', async () => {
    for (const vp of VIEWPORTS) {
      const page = await signedIn(vp);
      await page.goto(`${h.host.url}/#/pages/admin/order?out_trade_no=${vp === PHONE ? seeded.notified[0] : seeded.notified[1]}`);
      await page.locator('.refundable').waitFor();
      await expect(page.locator('.history-item').count()).resolves.toBeGreaterThan(0);
      await expect(page.locator('.sec-transactions .item').count()).resolves.toBe(1);
      await expect(page.locator('.sec-notifications .item').count()).resolves.toBe(1);
      await expect(page.locator('.sec-hooks .item').first().innerText()).resolves.toContain('recharge.onPaid · done');
      await expectNoSidewaysScroll(page);
      await shot(page, `admin-order-${vp.width}`);
      if (vp === PHONE) {
        await page.context().close();
        continue;
      }
      await expect(page.locator('.refundable').innerText()).resolves.toBe('¥2.00');
      const refunds = countCalls(page, 'refund');
      await page.locator('.refund-amount input').fill('2.01');
      await page.locator('.refund-btn').click();
      await expect(page.locator('.refund-error').innerText()).resolves.toBe('退款金额超过可退金额 ¥2.00');
      expect(refunds.n).toBe(0);
      await shot(page, 'admin-order-refund-refused-1280');
      await page.locator('.refund-amount input').fill('0.50');
      await page.locator('.refund-btn').click();
      await page.locator('.uni-modal').waitFor();
      await expect(page.locator('.uni-modal').innerText()).resolves.toContain('退款 ¥0.50');
      await shot(page, 'admin-order-refund-confirm-1280');
      await page.locator('.uni-modal__btn_primary').click();
      await expect.poll(() => page.locator('.action-note').innerText()).toContain('退款已提交：¥0.50');
      expect(refunds.n).toBe(1);
      await expect.poll(() => page.locator('.refundable').innerText(), { timeout: 15_000 }).toBe('¥1.50');
      await page.context().close();
    }
  });
});

describe('admin logs and errors', () => {
  it('time-first tables with folded JSON and filters at both sizes; error rows never show a stack trace', async () => {
    for (const vp of VIEWPORTS) {
      const page = await signedIn(vp);
      await page.getByText('日志', { exact: true }).first().click();
      await page.waitForURL(/pages\/admin\/logs/);
      await page.locator('.log-row').first().waitFor();
      await expectNoSidewaysScroll(page);
      await shot(page, `admin-logs-${vp.width}`);
      await page.locator('.tab-errors').click();
      await page.locator('.log-row').first().waitFor();
      await page.locator('.f-code input').fill('40001');
      await page.locator('.search-btn').click();
      await expect.poll(() => page.locator('.log-row').first().innerText()).toContain('40001 · createPayment');
      await page.locator('.log-row .json-fold__toggle').first().click();
      const text = await page.locator('.table').innerText();
      expect(text).not.toMatch(/\n\s*at \S+ \(|stack/);
      await page.locator('.f-code input').fill('4000');
      await page.locator('.search-btn').click();
      await expect(page.locator('.form-error').innerText()).resolves.toBe('错误码应为 5 位数字：4000');
      await shot(page, `admin-errors-${vp.width}`);
      await page.context().close();
    }
  });
});

describe('admin reconciliation', () => {
  it('runs a day from the page, opens a report\'s discrepancies in the admin\'s words, refuses a bad date without a request', async () => {
    // a report the timer stored earlier, with two discrepancies (what the page must render)
    await h.host.db.collection('payment_reconciliations').add({
      channel: 'alipay', date: '2026-11-20', status: 'done', attempts: 1, source: 'timer', update_date: Date.now(),
      provider_count: 2, local_count: 2, matched: 1, repaired: [], discrepancy_count: 2, discrepancy_kinds: { amount_mismatch: 1, refund_missing_here: 1 },
      provider_totals: { count: 2, amount: 3100, refunds: 500, fees: 18 }, local_totals: { count: 2, amount: 3000, refunds: 0, fees: 0 },
      discrepancies: [
        { kind: 'amount_mismatch', out_trade_no: 'VK0000000000000000000001', provider: { amount: 2100 }, local: { amount: 2000 } },
        { kind: 'refund_missing_here', out_trade_no: 'VK0000000000000000000002', out_refund_no: 'PF1', provider: { amount: 500 } },
      ],
    });
    // two days back: long past publication time at any hour, so "no statement" reads as a day without trades
    const dayBefore = utc8Date(Date.now() - 2 * DAY);
    const today = utc8Date();
    for (const vp of VIEWPORTS) {
      const page = await signedIn(vp);
      const runs = countCalls(page, 'reconcile');
      await page.getByText('对账', { exact: true }).first().click();
      await page.waitForURL(/pages\/admin\/reconcile/);
      await page.locator('.report-row').first().waitFor();
      // the stored report opens its discrepancies
      await page.locator('.report-row', { hasText: '2026-11-20' }).click();
      await page.locator('.diff-row').first().waitFor();
      await expect(page.locator('.detail').innerText()).resolves.toContain('金额不一致');
      await expect(page.locator('.detail').innerText()).resolves.toContain('渠道有退款、本地无记录（如商户平台退款）');
      // each side's amount in yuan beside the kind; the rest of each side stays folded
      await expect(page.locator('.diff-row .c-amounts').allInnerTexts()).resolves.toEqual(['¥21.00（渠道）vs ¥20.00（本地）', '¥5.00（渠道）']);
      await expectNoSidewaysScroll(page);
      await shot(page, `admin-reconcile-${vp.width}`);
      if (vp === DESKTOP) {
        await page.locator('.locale-switch__item', { hasText: 'English' }).click();
        await expect.poll(() => page.locator('.diff-row .c-amounts').allInnerTexts()).toEqual(['¥21.00 (provider) vs ¥20.00 (local)', '¥5.00 (provider)']);
        await expect(page.locator('.detail').innerText()).resolves.toContain('Amounts differ');
        await shot(page, 'admin-reconcile-en-1280');
        await page.locator('.locale-switch__item', { hasText: '中文' }).click();
        await expect.poll(() => page.locator('.diff-row .c-amounts').first().innerText()).toBe('¥21.00（渠道）vs ¥20.00（本地）');
      }
      // a day run from the page: the sandbox has no statement for a day without trades, so it is a day of none
      await page.locator('.f-date input').fill(dayBefore);
      await page.locator('.run-btn').click();
      await page.locator('.report-row', { hasText: dayBefore }).first().waitFor();
      await expect.poll(() => page.locator('.detail .title').innerText()).toContain(dayBefore);
      await expect(page.locator('.no-diff').innerText()).resolves.toBe('账单与本地记录一致');
      // a day not over yet is the server's 40001, said on the page
      await page.locator('.f-date input').fill(today);
      await page.locator('.run-btn').click();
      await expect.poll(() => page.locator('.call-error').innerText()).toContain('40001');
      const before = runs.n;
      await page.locator('.f-date input').fill('2026-13');
      await page.locator('.run-btn').click();
      await expect(page.locator('.form-error').innerText()).resolves.toBe('日期格式应为 YYYY-MM-DD：2026-13');
      expect(runs.n).toBe(before);
      await page.context().close();
    }
    const reports = (await h.host.db.collection('payment_reconciliations').where({}).limit(100).get()).data as Array<{ date: string }>;
    expect(reports.filter((r) => r.date === dayBefore)).toHaveLength(1); // run at both sizes: one report per channel and date, replaced
  });
});

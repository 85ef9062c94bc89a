// @vitest-environment happy-dom
/**
 * <vk-pay> after the payment opened (pay-session.ts): the backoff between queries (measured on the fake clock when
 * each query reaches the server), pausing while the page is hidden, and stopping at a final status, a
 * non-retryable error or the overall timeout.
 */
import { describe, expect, it, vi } from 'vitest';
import { qrDataUrl } from '../../uni_modules/vk-pay/components/vk-pay/qr';
import { calls, clickPay, created, expectQueryAfter, final, h, mountPay, pending, queriesOf, script, setHidden, settle, useVkPayHarness } from './support/vk-pay-harness';

useVkPayHarness();

describe('<vk-pay> polling', () => {
  it('creates with what the person chose, then queries at 1s, 2s, 3s, 5s, 8s, 8s apart and stops when paid', async () => {
    script.create = created('T-BACKOFF', { kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=abc' });
    script.queries = [pending('T-BACKOFF'), pending('T-BACKOFF'), pending('T-BACKOFF'), pending('T-BACKOFF'), pending('T-BACKOFF'), final('T-BACKOFF', 'paid')];
    const w = mountPay();
    const t0 = Date.now();
    await clickPay(w);
    expect(calls[0]).toMatchObject({ method: 'createPayment', body: { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 } });
    // the user is named by their uni-id token, as uni-id keeps it in storage
    expect(calls[0].headers['uni-id-token']).toBe('token-of-buyer-1');
    expect(calls[0].headers['x-vkpay-dev-uid']).toBeUndefined();
    expect(w.text()).toContain('weixin://wxpay/bizpayurl?pr=abc');
    // the code_url as a QR image to scan, above the text and the button that stay for a person on the phone
    const box = w.find('.vk-pay__box');
    const qr = box.find('image.vk-pay__qr');
    expect(qr.exists()).toBe(true);
    expect(qr.attributes('src')).toBe(qrDataUrl('weixin://wxpay/bizpayurl?pr=abc'));
    const order = box.element.innerHTML;
    expect(order.indexOf('vk-pay__qr')).toBeLessThan(order.indexOf('vk-pay__code'));
    expect(box.find('.vk-pay__link').exists()).toBe(true);

    for (const d of [1000, 2000, 3000, 5000, 8000, 8000]) await expectQueryAfter(d);
    const at = queriesOf().map((c) => c.at - t0);
    const gaps = at.map((v, i) => v - (i === 0 ? 0 : at[i - 1]));
    expect(gaps).toEqual([1000, 2000, 3000, 5000, 8000, 8000]);
    expect(w.emitted('success')).toHaveLength(1);
    expect(w.emitted('success')![0][0]).toMatchObject({ out_trade_no: 'T-BACKOFF', status: 'paid' });
    await vi.advanceTimersByTimeAsync(120_000);
    await settle();
    expect(queriesOf()).toHaveLength(6);
    expect(w.emitted('fail')).toBeUndefined();
  });

  it('pauses while the page is hidden and queries at once when it is shown again', async () => {
    script.create = created('T-HIDE', { kind: 'h5_url', h5_url: 'http://pay.example/cashier/T-HIDE' });
    script.queries = [pending('T-HIDE')];
    const w = mountPay({ payType: 'h5' });
    await clickPay(w);
    await vi.advanceTimersByTimeAsync(1000);
    await settle(2);
    expect(queriesOf()).toHaveLength(1);

    setHidden(true);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    await settle();
    expect(queriesOf()).toHaveLength(1);
    await w.vm.$nextTick();
    expect(w.text()).toContain('Paused while the page is in the background');

    script.queries = [final('T-HIDE', 'paid')];
    const shownAt = Date.now();
    setHidden(false);
    await settle(3);
    expect(queriesOf()).toHaveLength(2);
    expect(queriesOf()[1].at).toBe(shownAt);
    expect(w.emitted('success')).toHaveLength(1);
    // the H5 payment page is offered as a button; clicking it opens it
    expect(h.bridge.redirected).toEqual([]);
    // a payment page is a link, not something to scan
    expect(w.find('.vk-pay__qr').exists()).toBe(false);
  });

  it('a closed order ends polling with fail(reason closed) and the modal says so', async () => {
    script.create = created('T-CLOSED', { kind: 'code_url', code_url: 'weixin://x' });
    script.queries = [pending('T-CLOSED'), final('T-CLOSED', 'closed')];
    const w = mountPay();
    await clickPay(w);
    expect(w.find('.vk-pay__qr').attributes('src')).toBe(qrDataUrl('weixin://x'));
    await vi.advanceTimersByTimeAsync(1000);
    await settle(2);
    await vi.advanceTimersByTimeAsync(2000);
    await settle(3);
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'closed', out_trade_no: 'T-CLOSED' });
    // the order is over: nothing left to scan
    expect(w.find('.vk-pay__qr').exists()).toBe(false);
    expect(w.find('.vk-pay__modal').text()).toContain('The order was closed without payment');
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(queriesOf()).toHaveLength(2);
  });

  it('keeps polling through retryable errors (40010) and stops at a non-retryable one (40005)', async () => {
    script.create = created('T-ERR', { kind: 'code_url', code_url: 'weixin://x' });
    script.queries = [
      { code: 40010, msg: 'system busy', action: 'retry later' },
      { code: 40005, msg: 'order does not exist: T-ERR', action: 'check the order number' },
    ];
    const w = mountPay();
    await clickPay(w);
    await vi.advanceTimersByTimeAsync(1000);
    await settle(2);
    expect(w.emitted('fail')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2000);
    await settle(3);
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'error', code: 40005 });
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(queriesOf()).toHaveLength(2);
  });

  it('gives up after the overall timeout with fail(reason timeout)', async () => {
    script.create = created('T-SLOW', { kind: 'code_url', code_url: 'weixin://x' });
    script.queries = [pending('T-SLOW')];
    const w = mountPay({ pollTimeoutMs: 20_000 });
    await clickPay(w);
    // 1s, 3s, 6s, 11s and 19s are inside the 20 s budget; the answer at 27 s is the last one asked for
    for (const d of [1000, 2000, 3000, 5000, 8000, 8000]) await expectQueryAfter(d);
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    const fails = w.emitted('fail')!;
    expect(fails).toHaveLength(1);
    expect(fails[0][0]).toMatchObject({ reason: 'timeout', out_trade_no: 'T-SLOW' });
    expect(queriesOf()).toHaveLength(6);
  });
});

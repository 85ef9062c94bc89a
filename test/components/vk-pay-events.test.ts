// @vitest-environment happy-dom
/**
 * <vk-pay>'s outcomes (pay-flow.ts, pay-session.ts): the modal for an error code in the payer's language, the
 * platform's sheet (ok, cancel, failure), the server's close reason, Cancel, and H5 redirect mode, each with the
 * events it emits.
 */
import { describe, expect, it, vi } from 'vitest';
import { describeError } from '../../uni_modules/vk-pay/common/errors';
import type { ClientPayment } from '../../uni_modules/vk-pay/components/vk-pay/api-types';
import { usePaymentStore } from '../../uni_modules/vk-pay/components/vk-pay/store';
import { calls, clickPay, created, final, h, mountPay, pending, queriesOf, script, settle, useVkPayHarness } from './support/vk-pay-harness';

useVkPayHarness();

describe('<vk-pay> errors and events', () => {
  it('shows the error table message and action for the code in a modal and emits fail', async () => {
    script.create = { code: 40007, msg: 'insufficient balance: card declined', action: 'ask the person to top up' };
    const w = mountPay();
    await clickPay(w);
    await w.vm.$nextTick();
    const expected = describeError(40007, 'en');
    const modal = w.find('.vk-pay__modal');
    expect(modal.exists()).toBe(true);
    expect(modal.find('.vk-pay__modal-title').text()).toBe(expected.msg);
    expect(modal.find('.vk-pay__modal-action').text()).toBe(expected.action);
    expect(modal.find('.vk-pay__modal-code').text()).toContain('40007');
    // the developer's detail reaches the fail event and the console, never the payer's modal
    expect(modal.text()).not.toContain('card declined');
    expect(modal.text()).not.toContain('insufficient balance');
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'error', code: 40007, msg: expected.msg, action: expected.action, detail: 'card declined' });
    await modal.find('button').trigger('click');
    expect(w.find('.vk-pay__modal').exists()).toBe(false);
  });

  it('shows the Chinese message with lang zh', async () => {
    script.create = { code: 40006, msg: 'order already paid', action: 'no need to pay again; query the order' };
    const w = mountPay({ lang: 'zh' });
    await clickPay(w);
    await w.vm.$nextTick();
    expect(w.find('.vk-pay__modal-title').text()).toBe(describeError(40006, 'zh').msg);
  });

  it('opens uni.requestPayment-style payments on the platform and emits cancel without polling when backed out', async () => {
    const payment: ClientPayment = { kind: 'requestPayment', params: { timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 's' } };
    script.create = created('T-CANCEL', payment);
    script.queries = [pending('T-CANCEL')];
    h.bridge.outcome = 'cancel';
    const w = mountPay({ payType: 'mp' });
    await clickPay(w);
    expect(h.bridge.paid).toEqual([{ provider: 'wxpay', payment }]);
    expect(w.emitted('cancel')![0][0]).toEqual({ out_trade_no: 'T-CANCEL' });
    await vi.advanceTimersByTimeAsync(30_000);
    await settle();
    expect(queriesOf()).toHaveLength(0);
  });

  it('a WeChat virtual payment goes to the platform as the server signed it; backing out is a cancel', async () => {
    const payment: ClientPayment = { kind: 'virtualPayment', mode: 'short_series_coin', signData: '{"offerId":"1","buyQuantity":60,"env":1,"currencyType":"CNY","outTradeNo":"T-VCANCEL1","attach":""}', paySig: 'p', signature: 's' };
    script.create = created('T-VCANCEL1', payment);
    script.queries = [pending('T-VCANCEL1')];
    h.bridge.outcome = 'cancel';
    const w = mountPay({ provider: 'wxpay-virtual', payType: 'mp' });
    await clickPay(w);
    expect(h.bridge.paid).toEqual([{ provider: 'wxpay-virtual', payment }]);
    expect(w.emitted('cancel')![0][0]).toEqual({ out_trade_no: 'T-VCANCEL1' });
    await vi.advanceTimersByTimeAsync(30_000);
    await settle();
    expect(queriesOf()).toHaveLength(0);
  });

  it('after the sheet says ok it still asks the server, and emits created then success', async () => {
    script.create = created('T-OK', { kind: 'order_string', order_string: 'app_id=1&biz_content=x' });
    script.queries = [final('T-OK', 'paid')];
    const w = mountPay({ provider: 'alipay', payType: 'app' });
    await clickPay(w);
    expect(w.emitted('created')![0][0]).toMatchObject({ out_trade_no: 'T-OK', amount: 100 });
    expect(w.emitted('success')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    await settle(2);
    expect(w.emitted('success')![0][0]).toMatchObject({ status: 'paid' });
  });

  it('a failing payment sheet shows the modal (50000) and does not poll', async () => {
    script.create = created('T-SHEET', { kind: 'trade_no', trade_no: '2024X' });
    h.bridge.outcome = new Error('requestPayment:fail internal');
    const w = mountPay({ provider: 'alipay', payType: 'mp' });
    await clickPay(w);
    await w.vm.$nextTick();
    // the payer reads that the payment was not completed; the sheet's errMsg is the developer's
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'failed', out_trade_no: 'T-SHEET', detail: 'requestPayment:fail internal' });
    expect(w.find('.vk-pay__modal-title').text()).toBe('The payment was not completed');
    expect(w.find('.vk-pay__modal').text()).not.toContain('requestPayment');
    expect(queriesOf()).toHaveLength(0);
  });

  it('a payment the provider refused ends as failed, with the provider\'s reason on its own line', async () => {
    script.create = created('T-DECLINED', { kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=x' });
    const closed = { code: 0, msg: 'ok', data: { out_trade_no: 'T-DECLINED', status: 'closed', amount: 100, refunded_amount: 0, close_reason: 'failed', provider_reason: '银行卡余额不足' } };
    script.queries = [closed];
    const w = mountPay({ lang: 'zh' });
    await clickPay(w);
    await vi.advanceTimersByTimeAsync(1000);
    await settle(3);
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'failed', provider_reason: '银行卡余额不足' });
    expect(w.find('.vk-pay__modal-title').text()).toBe('支付未成功');
    expect(w.find('.vk-pay__modal-reason').text()).toBe('原因：银行卡余额不足');
    expect(calls.map((c) => c.method)).toEqual(['createPayment', 'queryPayment', 'getPaymentResult']);
  });

  it('Cancel asks the server to close the order (cancelPayment), stops polling and emits cancel', async () => {
    script.create = created('T-BACK', { kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=y' });
    script.queries = [{ code: 0, msg: 'ok', data: { out_trade_no: 'T-BACK', status: 'closed', amount: 100, refunded_amount: 0 } }];
    const w = mountPay();
    await clickPay(w);
    await w.find('.vk-pay__cancel').trigger('click');
    await settle(3);
    expect(calls.map((c) => c.method)).toEqual(['createPayment', 'cancelPayment']);
    expect(calls[1].body).toEqual({ out_trade_no: 'T-BACK' });
    expect(w.emitted('cancel')![0][0]).toEqual({ out_trade_no: 'T-BACK' });
    expect(w.find('.vk-pay__modal').exists()).toBe(false);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(queriesOf()).toHaveLength(0);
  });

  it('a Cancel that comes after the money went through ends in success', async () => {
    script.create = created('T-LATE', { kind: 'code_url', code_url: 'weixin://wxpay/bizpayurl?pr=z' });
    script.queries = [final('T-LATE', 'paid')];
    const w = mountPay();
    await clickPay(w);
    await w.find('.vk-pay__cancel').trigger('click');
    await settle(3);
    expect(w.emitted('cancel')).toBeUndefined();
    expect(w.emitted('success')![0][0]).toMatchObject({ status: 'paid' });
  });

  it('in H5 redirect mode sends the return URL to the server and leaves for the payment page it answers', async () => {
    const h5 = 'http://pay.example/cashier/wxpay/T-REDIR?prepay_id=p1&redirect_url=http%3A%2F%2Fapp.example%2F%23%2Fpages%2Fresult%2Fresult';
    script.create = created('T-REDIR', { kind: 'h5_url', h5_url: h5 });
    script.queries = [pending('T-REDIR')];
    const w = mountPay({ payType: 'h5', h5Redirect: true, returnUrl: 'http://app.example/#/pages/result/result' });
    await clickPay(w);
    expect(calls[0].body.return_url).toBe('http://app.example/#/pages/result/result');
    expect(h.bridge.redirected).toEqual([h5]);
    expect(usePaymentStore().lastOrderNo()).toBe('T-REDIR');
    // the button to open it again stays, and the component keeps asking the server while the tab is still here
    await w.find('.vk-pay__link').trigger('click');
    expect(h.bridge.opened).toEqual([h5]);
  });
});

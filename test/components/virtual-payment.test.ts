// @vitest-environment happy-dom
/**
 * WeChat virtual payment on the device: the bridge hands uni.requestVirtualPayment exactly what the server signed,
 * treats the payer backing out (errCode -2) as a cancel, and anything else as a failed sheet; outside WeChat mini
 * programs it refuses before calling anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { requestVirtualPayment, uniPlatform } from '../../uni_modules/vk-pay/components/vk-pay/platform';
import type { ClientPayment } from '../../uni_modules/vk-pay/components/vk-pay/api-types';

type Virtual = Extract<ClientPayment, { kind: 'virtualPayment' }>;
const payment: Virtual = {
  kind: 'virtualPayment', mode: 'short_series_goods', paySig: 'a'.repeat(64), signature: 'b'.repeat(64),
  signData: '{"offerId":"1450000001","buyQuantity":1,"env":1,"currencyType":"CNY","productId":"ep01","goodsPrice":990,"outTradeNo":"VK2026120200000001","attach":"VK2026120200000001"}',
};

const g = globalThis as unknown as { uni?: Record<string, unknown> };
const calls: Array<Record<string, unknown>> = [];
function stubUni(platform: string, answer: (o: { success: () => void; fail: (e: unknown) => void }) => void) {
  calls.length = 0;
  g.uni = {
    getSystemInfoSync: () => ({ uniPlatform: platform }),
    requestVirtualPayment: (o: Record<string, unknown> & { success: () => void; fail: (e: unknown) => void }) => { calls.push(o); answer(o); },
  };
}
afterEach(() => { delete g.uni; });

describe('uni.requestVirtualPayment', () => {
  it('passes mode, signData (unchanged), paySig and signature; success is ok', async () => {
    stubUni('mp-weixin', (o) => o.success());
    await expect(uniPlatform.requestPayment('wxpay-virtual', payment)).resolves.toBe('ok');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ mode: 'short_series_goods', signData: payment.signData, paySig: payment.paySig, signature: payment.signature });
  });
  it('the payer backing out (errCode -2) is a cancel', async () => {
    stubUni('mp-weixin', (o) => o.fail({ errCode: -2, errMsg: 'requestVirtualPayment:fail' }));
    await expect(uniPlatform.requestPayment('wxpay-virtual', payment)).resolves.toBe('cancel');
  });
  it('a signature WeChat refuses (-15005) or risk control (-4) fails the sheet with the code for developers', async () => {
    stubUni('mp-weixin', (o) => o.fail({ errCode: -15005, errMsg: 'requestVirtualPayment:fail SIGNATURE_INVALID' }));
    await expect(uniPlatform.requestPayment('wxpay-virtual', payment)).rejects.toMatchObject({ code: 50000, message: expect.stringContaining('-15005') });
    stubUni('mp-weixin', (o) => o.fail({ errCode: -4, errMsg: 'requestVirtualPayment:fail' }));
    await expect(uniPlatform.requestPayment('wxpay-virtual', payment)).rejects.toMatchObject({ code: 50000 });
  });
  it('outside WeChat mini programs nothing is opened', async () => {
    stubUni('web', (o) => o.success());
    await expect(uniPlatform.requestPayment('wxpay-virtual', payment)).rejects.toMatchObject({ code: 40001 });
    await expect(requestVirtualPayment(payment, 'app')).rejects.toMatchObject({ code: 40001 });
    expect(calls).toHaveLength(0);
  });
});

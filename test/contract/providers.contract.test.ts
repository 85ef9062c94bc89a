/**
 * The provider contract: the same cases run against all three channels (WeChat v3, WeChat v2, Alipay), each
 * provider talking to the sandbox over real HTTP. Notifications are received on a local HTTP server that does
 * what vk-pay-notify does first: verifyNotification on the raw body, then answer with notifyReply; the
 * sandbox's own acceptance rule then tells whether that answer is the one the real gateway expects.
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxChannel as AnySandboxChannel } from '../../sandbox/index';

/** The payment gateways (WeChat virtual payment has no gateway orders: it has its own tests). */
type SandboxChannel = Exclude<AnySandboxChannel, 'wxpay-virtual'>;
import {
  alipayConfigFromCredentials, createProvider, wxpayConfigFromCredentials, wxpayV2ConfigFromCredentials,
  type CreateOrderInput, type NotificationOutcome, type PaymentProvider, type PayType,
} from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/index';
import { createFetchHttpClient } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { control, startSandbox, tradeNo, waitFor, type RunningSandbox } from '../sandbox/helpers';
import { providerFor } from '../sandbox/providers';

const CHANNELS: readonly SandboxChannel[] = ['wxpay', 'wxpay-v2', 'alipay'];
const FLOW_PAY_TYPE: Record<SandboxChannel, PayType> = { wxpay: 'native', 'wxpay-v2': 'native', alipay: 'qr' };
const EXPECTED_KIND: Record<SandboxChannel, Partial<Record<PayType, string>>> = {
  wxpay: { jsapi: 'requestPayment', mp: 'requestPayment', app: 'requestPayment', h5: 'h5_url', native: 'code_url' },
  'wxpay-v2': { jsapi: 'requestPayment', mp: 'requestPayment', app: 'requestPayment', h5: 'h5_url', native: 'code_url' },
  alipay: { mp: 'trade_no', app: 'order_string', wap: 'page_url', page: 'page_url', qr: 'code_url' },
};

/** The merchant's notify endpoint: verify first, then answer what the provider says the gateway expects. */
async function startNotifyEndpoint(provider: () => PaymentProvider) {
  const outcomes: NotificationOutcome[] = [];
  const refused: Array<{ code?: number }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      let ok = false;
      try {
        outcomes.push(await provider().verifyNotification({ headers, rawBody: Buffer.concat(chunks).toString('utf8') }));
        ok = true;
      } catch (err) {
        refused.push(err as { code?: number });
      }
      const reply = provider().notifyReply(ok);
      res.writeHead(reply.statusCode, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/http/vk-pay-notify`,
    outcomes, refused,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function wrongKeyProvider(s: RunningSandbox, channel: SandboxChannel): PaymentProvider {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const ctx = { http: createFetchHttpClient(), budgetMs: 3_000, timeoutMs: 2_000 };
  const wx = s.creds.wxpay;
  if (channel === 'wxpay') return createProvider('wxpay', wxpayConfigFromCredentials({ ...wx, merchant: { ...wx.merchant, privateKeyPem: other } }, `${s.base}/sandbox/wxpay/`), ctx);
  if (channel === 'wxpay-v2') return createProvider('wxpay-v2', wxpayV2ConfigFromCredentials({ ...wx, apiV2Key: 'x'.repeat(32) }, `${s.base}/sandbox/wxpay/`), ctx);
  return createProvider('alipay', alipayConfigFromCredentials({ ...s.creds.alipay, app: { privateKeyPem: other } }, `${s.base}/sandbox/alipay/gateway.do`), ctx);
}

describe.each(CHANNELS)('provider contract through the sandbox: %s', (channel) => {
  let s: RunningSandbox;
  let provider: PaymentProvider;
  let endpoint: Awaited<ReturnType<typeof startNotifyEndpoint>>;

  beforeAll(async () => {
    // WeChat v2 refunds go over mutual TLS, as on WeChat
    s = await startSandbox({ timeFactor: 0.001, requireClientCert: channel === 'wxpay-v2' });
    provider = providerFor(s, channel);
    endpoint = await startNotifyEndpoint(() => provider);
  });
  afterAll(async () => { await endpoint.close(); await s.close(); });

  const input = (payType: PayType, amount = 1234): CreateOrderInput => ({
    out_trade_no: tradeNo(), amount, subject: `契约 ${channel}`, pay_type: payType, notify_url: endpoint.url,
    expires_at: Date.now() + 30 * 60_000, client_ip: '127.0.0.1', return_url: 'http://127.0.0.1:9/result',
    openid: channel === 'alipay' ? '2088102177846812' : 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
  });

  async function paidOrder(amount = 1234): Promise<CreateOrderInput> {
    const order = input(FLOW_PAY_TYPE[channel], amount);
    await provider.createOrder(order);
    expect((await control(s, 'pay', { channel, out_trade_no: order.out_trade_no })).status).toBe(200);
    return order;
  }

  const outcomeFor = (no: string, kind: string) => endpoint.outcomes.find((o) => o.out_trade_no === no && o.kind === kind);

  it('create: every pay_type yields what its client needs, and the sandbox holds the order', async () => {
    for (const payType of Object.keys(EXPECTED_KIND[channel]) as PayType[]) {
      const order = input(payType);
      const { payment } = await provider.createOrder(order);
      expect(payment.kind, payType).toBe(EXPECTED_KIND[channel][payType]);
      if (payment.kind === 'page_url' || payment.kind === 'order_string') {
        // Alipay's page/app payments are signed client-side strings: opening one at the gateway creates the order.
        const url = payment.kind === 'page_url' ? payment.page_url : `${s.base}/sandbox/alipay/gateway.do?${payment.order_string}`;
        const opened = await fetch(url, { redirect: 'manual' });
        expect(opened.status, `${payType} opened at the gateway`).toBe(303);
      }
      expect(s.sandbox.control.order(channel, order.out_trade_no)?.amount, payType).toBe(1234);
    }
  });

  it('pay -> notify, for every pay_type: the notification verifies as paid, the provider reply is accepted, query says paid', async () => {
    for (const payType of Object.keys(EXPECTED_KIND[channel]) as PayType[]) {
      const order = input(payType, 1234);
      const { payment } = await provider.createOrder(order);
      if (payment.kind === 'page_url') await fetch(payment.page_url, { redirect: 'manual' });
      if (payment.kind === 'order_string') await fetch(`${s.base}/sandbox/alipay/gateway.do?${payment.order_string}`, { redirect: 'manual' });
      expect((await control(s, 'pay', { channel, out_trade_no: order.out_trade_no })).status, payType).toBe(200);
      expect(await waitFor(() => !!outcomeFor(order.out_trade_no, 'paid')), payType).toBe(true);
      expect(outcomeFor(order.out_trade_no, 'paid'), payType).toMatchObject({ amount: 1234, channel });
      expect(await waitFor(() => s.sandbox.control.notifications({ out_trade_no: order.out_trade_no })[0]?.state === 'delivered'), payType).toBe(true);
      expect(s.sandbox.control.notifications({ out_trade_no: order.out_trade_no })[0].attempts, payType).toHaveLength(1);
      const q = await provider.queryOrder(order.out_trade_no);
      expect(q, payType).toMatchObject({ state: 'paid', out_trade_no: order.out_trade_no, amount: 1234 });
      expect(q.transaction_id, payType).toBe((outcomeFor(order.out_trade_no, 'paid') as { transaction_id: string }).transaction_id);
    }
  });

  it('query of an unknown order says not_found', async () => {
    expect((await provider.queryOrder('NOPE0000000001')).state).toBe('not_found');
  });

  it('close: an unpaid order closes (closing again is fine) and queries closed; a paid one throws 40006', async () => {
    const order = input(FLOW_PAY_TYPE[channel]);
    await provider.createOrder(order);
    await provider.closeOrder(order.out_trade_no);
    await provider.closeOrder(order.out_trade_no);
    expect((await provider.queryOrder(order.out_trade_no)).state).toBe('closed');
    const paid = await paidOrder();
    await expect(provider.closeOrder(paid.out_trade_no)).rejects.toMatchObject({ code: 40006 });
  });

  it('refund -> refund notify: accepted, notified as refund_succeeded, queried as success', async () => {
    const order = await paidOrder(1000);
    const outRefundNo = tradeNo('RF');
    const r = await provider.refund({ out_trade_no: order.out_trade_no, out_refund_no: outRefundNo, refund_amount: 400, total_amount: 1000, reason: 'contract', notify_url: endpoint.url });
    expect(r).toMatchObject({ out_refund_no: outRefundNo, amount: 400 });
    expect(['processing', 'success']).toContain(r.state);
    expect(await waitFor(() => !!outcomeFor(order.out_trade_no, 'refund_succeeded'))).toBe(true);
    // WeChat names this refund's amount; Alipay's refund_fee is the order's total refunded so far (here the same 400)
    expect(outcomeFor(order.out_trade_no, 'refund_succeeded')).toMatchObject(channel === 'alipay' ? { out_refund_no: outRefundNo, refunded_total: 400 } : { out_refund_no: outRefundNo, amount: 400 });
    if (channel === 'alipay') expect(outcomeFor(order.out_trade_no, 'refund_succeeded')).not.toHaveProperty('amount');
    expect(await provider.queryRefund(outRefundNo, order.out_trade_no)).toMatchObject({ state: 'success', amount: 400 });
    // retrying with the same number is the documented way to recover from a lost answer
    expect((await provider.refund({ out_trade_no: order.out_trade_no, out_refund_no: outRefundNo, refund_amount: 400, total_amount: 1000 })).amount).toBe(400);
  });

  it.runIf(channel !== 'alipay')('refund that WeChat closes or marks abnormal: closed -> refund_failed / failed and frees its amount; abnormal -> refund_held / held and keeps it', async () => {
    for (const outcome of ['closed', 'abnormal'] as const) {
      await control(s, 'faults', { channel, refund: outcome });
      const order = await paidOrder(300);
      const rn = tradeNo('RF');
      expect((await provider.refund({ out_trade_no: order.out_trade_no, out_refund_no: rn, refund_amount: 300, total_amount: 300, notify_url: endpoint.url })).state).toBe('processing');
      // ABNORMAL (v2 CHANGE): the money left the merchant but never reached the person - not a failure to undo
      const kind = outcome === 'closed' ? 'refund_failed' : 'refund_held';
      expect(await waitFor(() => !!outcomeFor(order.out_trade_no, kind)), outcome).toBe(true);
      expect(outcomeFor(order.out_trade_no, kind)).toMatchObject({ out_refund_no: rn, amount: 300 });
      expect((await provider.queryRefund(rn, order.out_trade_no)).state, outcome).toBe(outcome === 'closed' ? 'failed' : 'held');
      await control(s, 'faults', { channel });
      const again = provider.refund({ out_trade_no: order.out_trade_no, out_refund_no: tradeNo('RF'), refund_amount: 300, total_amount: 300 });
      if (outcome === 'closed') expect((await again).amount).toBe(300);
      else await expect(again).rejects.toMatchObject({ code: 40001 }); // an abnormal refund still holds the money
    }
  });

  it('error paths: pay twice, re-create a paid order (40006), over-refund and a reused refund number (40001), refund of an unknown order (40005)', async () => {
    const order = await paidOrder(500);
    expect((await control(s, 'pay', { channel, out_trade_no: order.out_trade_no })).json().code).toBe('ORDERPAID');
    await expect(provider.createOrder(order)).rejects.toMatchObject({ code: 40006 });
    await expect(provider.refund({ out_trade_no: order.out_trade_no, out_refund_no: tradeNo('RF'), refund_amount: 501, total_amount: 500 })).rejects.toMatchObject({ code: 40001 });
    const rn = tradeNo('RF');
    await provider.refund({ out_trade_no: order.out_trade_no, out_refund_no: rn, refund_amount: 100, total_amount: 500 });
    await expect(provider.refund({ out_trade_no: order.out_trade_no, out_refund_no: rn, refund_amount: 200, total_amount: 500 })).rejects.toMatchObject({ code: 40001 });
    await expect(provider.refund({ out_trade_no: 'NOPE0000000002', out_refund_no: tradeNo('RF'), refund_amount: 1, total_amount: 1 })).rejects.toMatchObject({ code: 40005 });
  });

  it('bad signature: a request signed with the wrong key throws 40002; a tampered notification is refused (40002) and retried', async () => {
    await expect(wrongKeyProvider(s, channel).createOrder(input(FLOW_PAY_TYPE[channel]))).rejects.toMatchObject({ code: 40002 });
    await control(s, 'faults', { channel, tamper: 'signature' });
    const refusedBefore = endpoint.refused.length;
    const order = await paidOrder();
    expect(await waitFor(() => endpoint.refused.length > refusedBefore + 1)).toBe(true);
    expect(endpoint.refused.slice(refusedBefore).every((e) => e.code === 40002)).toBe(true);
    expect(outcomeFor(order.out_trade_no, 'paid')).toBeUndefined();
    expect(s.sandbox.control.notifications({ out_trade_no: order.out_trade_no })[0].attempts.every((a) => !a.accepted)).toBe(true);
    await control(s, 'faults', { channel });
  });
});

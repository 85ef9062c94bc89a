/**
 * What the sandbox's WeChat virtual payment tests share: a sandbox whose message push URL is a merchant-side
 * receiver, the real provider configured for it (env 1, the sandbox AppKey), a payer's login (the sandbox then
 * holds their session key), and an order signed by createOrder as the device receives it.
 */
import { createFetchHttpClient } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createWxpayVirtualProvider, type WxpayVirtualConfig } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { control, startReceiver, startSandbox, tradeNo, type Received, type RunningSandbox } from './helpers';

export const SUCCESS = { status: 200, body: JSON.stringify({ ErrCode: 0, ErrMsg: 'success' }) };

export async function startVirtualSandbox(cleanups: Array<() => Promise<void>>, reply: (r: Received, i: number) => { status: number; body?: string } = () => SUCCESS) {
  const rx = await startReceiver(reply);
  const s = await startSandbox({ virtualPushUrl: rx.url });
  cleanups.push(() => s.close(), () => rx.close());
  return { s, rx };
}

export function configOf(s: RunningSandbox, over: Partial<WxpayVirtualConfig> = {}): WxpayVirtualConfig {
  const v = s.creds.wxpayVirtual;
  return {
    appId: s.creds.wxpay.apps.mp.appId, appSecret: s.creds.wxpay.apps.mp.appSecret, offerId: v.offerId, env: 1,
    appKey: v.appKey, sandboxAppKey: v.sandboxAppKey, token: v.token, encodingAESKey: v.encodingAESKey, coinPrice: v.coinPrice,
    wxapiBaseUrl: `${s.base}/sandbox/wxapi/`, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...over,
  };
}

export const providerOf = (s: RunningSandbox, over: Partial<WxpayVirtualConfig> = {}) =>
  createWxpayVirtualProvider(configOf(s, over), { http: createFetchHttpClient(), budgetMs: 3000, timeoutMs: 1000 });

/** The payer logs in (uni.login), the server exchanges the code: the sandbox now holds this session key. */
export async function login(s: RunningSandbox, user = 'alice') {
  const { code } = (await control(s, 'login-code', { provider: 'wxpay', pay_type: 'mp', user })).json() as { code: string };
  return providerOf(s).exchangeLoginCode!({ pay_type: 'mp', code });
}

export const goodsItem = { amount: 990, subject: 'episode 1', wxVirtualProductId: 'ep01' };
export const coinItem = { amount: 600, subject: '60 coins', wxVirtualCoins: 60 };

export async function signedPayment(s: RunningSandbox, session_key: string, over: Partial<WxpayVirtualConfig> = {}, item: Record<string, unknown> = goodsItem) {
  const no = tradeNo('VV');
  const { payment } = await providerOf(s, over).createOrder({
    out_trade_no: no, amount: Number(item.amount), subject: 'x', pay_type: 'mp', notify_url: 'https://unused.example/notify', expires_at: Date.now() + 3600_000,
    catalog_item: item, session_key,
  });
  if (payment.kind !== 'virtualPayment') throw new Error('kind');
  return { no, payment };
}

/** An order the payer opened on the device and paid; its delivery push has been answered. */
export async function paidVirtualOrder(s: RunningSandbox, payer: { openid: string; session_key?: string }, item: Record<string, unknown> = goodsItem) {
  const { no, payment } = await signedPayment(s, payer.session_key!, {}, item);
  if ((await control(s, 'virtual-payment', { openid: payer.openid, ...payment })).status !== 200) throw new Error('device refused');
  if ((await control(s, 'pay', { channel: 'wxpay-virtual', out_trade_no: no })).status !== 200) throw new Error('pay refused');
  await s.sandbox.control.settled();
  return no;
}

export const asNotification = (r: Received) => ({ headers: r.headers, rawBody: r.body, query: Object.fromEntries(new URL(r.url, 'http://x').searchParams) });

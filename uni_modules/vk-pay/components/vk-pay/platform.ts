/**
 * The platform side of paying: opening WeChat Pay / Alipay on mini-programs and App through `uni.requestPayment`,
 * WeChat's virtual payment in mini programs through `uni.requestVirtualPayment`,
 * the WeChat in-browser JSAPI bridge, redirects on H5, and page visibility. The component receives it through
 * `inject(PLATFORM_KEY)` so tests in a DOM without the uni runtime can give it their own.
 */
import type { InjectionKey } from 'vue';
import { onHide, onShow } from '@dcloudio/uni-app';
import { VkPayError } from '../../common/errors';
import type { ClientPayment, ProviderName } from './api-types';
import type { OrderMemory, StoreKitBridge } from './appleiap';
import { uniOrderMemory, uniStoreKit } from './appleiap-uni';

export type PaymentOutcome = 'ok' | 'cancel';

export interface PlatformBridge {
  /** uni's platform name: 'web', 'mp-weixin', 'mp-alipay', 'app', ... */
  platform(): string;
  /** For payment kinds the platform opens itself; resolves 'cancel' when the person backs out. */
  requestPayment(provider: ProviderName, payment: ClientPayment): Promise<PaymentOutcome>;
  /** Leave the app for a payment page (H5). */
  redirect(url: string): void;
  /** Open a payment page next to the app (H5 new tab, on a click so no popup blocker objects); elsewhere copy it. */
  openWindow(url: string): void;
  /**
   * Called once from the component's setup: calls back with false when the page is hidden and true when shown
   * again; returns the unsubscribe.
   */
  onVisibilityChange(listener: (visible: boolean) => void): () => void;
  /** The platform's login code for the provider's mini program (`uni.login`: wx.login / my.getAuthCode). */
  loginCode(provider: ProviderName): Promise<string>;
  /** App: the system (`ios`, `android`), which narrows some pay types */
  osName?(): string;
  /** True inside WeChat's built-in browser (where JSAPI payment and the official account's OAuth work). */
  inWeixinBrowser(): boolean;
  /** H5: the page's address now (the OAuth redirect returns to it), and replacing it without a reload. */
  currentUrl(): string;
  replaceUrl(url: string): void;
  /** iOS App: StoreKit (App Store purchases, finished only after the server confirmed them) */
  storeKit?: StoreKitBridge;
  /** which order each App Store purchase this device started is for (token -> out_trade_no), for restores */
  orderMemory?: OrderMemory;
}

export const PLATFORM_KEY: InjectionKey<PlatformBridge> = Symbol('vk-pay-platform');

function isCancel(errMsg: string | undefined): boolean {
  return /cancel/i.test(errMsg ?? '');
}

/** WeChat virtual payment's fail callback says errCode -2 when the payer backs out (wx.requestVirtualPayment). */
export const VIRTUAL_PAY_CANCEL_CODE = -2;

export function isVirtualPayCancel(err: { errCode?: number; errMsg?: string } | undefined): boolean {
  return err?.errCode === VIRTUAL_PAY_CANCEL_CODE || isCancel(err?.errMsg);
}

/** Opens a virtual payment exactly as the server signed it: mode, signData (unchanged text), paySig, signature. */
export function requestVirtualPayment(payment: Extract<ClientPayment, { kind: 'virtualPayment' }>, platform: string): Promise<PaymentOutcome> {
  if (platform !== 'mp-weixin') return Promise.reject(new VkPayError(40001, 'WeChat virtual payment opens in WeChat mini programs only'));
  const open = (uni as unknown as { requestVirtualPayment?: (o: Record<string, unknown>) => void }).requestVirtualPayment;
  if (typeof open !== 'function') return Promise.reject(new VkPayError(40001, 'uni.requestVirtualPayment is not available (WeChat base library 2.19.2+)'));
  return new Promise((resolve, reject) => {
    open({
      mode: payment.mode, signData: payment.signData, paySig: payment.paySig, signature: payment.signature,
      success: () => resolve('ok'),
      fail: (err: { errCode?: number; errMsg?: string }) => (isVirtualPayCancel(err)
        ? resolve('cancel')
        : reject(new VkPayError(50000, `${err?.errMsg ?? 'requestVirtualPayment failed'}${err?.errCode !== undefined ? ` (errCode ${err.errCode})` : ''}`))),
    });
  });
}

interface WeixinJSBridgeLike {
  invoke(api: string, params: Record<string, string>, cb: (res: { err_msg?: string }) => void): void;
}

/** `uni.requestPayment` arguments for each payment kind (uni-app docs: orderInfo differs per platform). */
export function requestPaymentArgs(provider: ProviderName, payment: ClientPayment): Record<string, unknown> {
  switch (payment.kind) {
    case 'requestPayment':
      // mini-program: timeStamp/nonceStr/package/signType/paySign spread at top level; App wxpay wants them as orderInfo.
      return uni.getSystemInfoSync().uniPlatform === 'app'
        ? { provider, orderInfo: payment.params }
        : { provider, ...payment.params };
    case 'order_string':
      return { provider, orderInfo: payment.order_string };
    case 'trade_no':
      return { provider, orderInfo: payment.trade_no };
    case 'appleiap':
      return { provider: 'appleiap', orderInfo: payment.orderInfo };
    default:
      throw new VkPayError(40001, `payment kind ${payment.kind} is not opened by uni.requestPayment`);
  }
}

/**
 * What a `success` of uni.requestPayment means. In Alipay mini programs it is my.tradePay's, which reports every
 * ending there with a `resultCode` (docs/PROTOCOLS.md): 6001 the payer backed out, 4000 the order failed, 6002 the
 * network; 9000, 8000 and 6004 leave the answer to the server (9000 is not proof of payment). Elsewhere a success
 * carries no resultCode and is the platform's "ok".
 */
export function tradePayOutcome(res: unknown): PaymentOutcome | VkPayError {
  const raw = (res as { resultCode?: unknown } | undefined)?.resultCode;
  if (raw === undefined || raw === null || raw === '') return 'ok';
  const code = String(raw);
  if (code === '9000' || code === '8000' || code === '6004') return 'ok';
  if (code === '6001') return 'cancel';
  return new VkPayError(50000, `requestPayment:fail resultCode ${code}`);
}

/** H5: the browser tab hidden or shown (another tab, the phone locked, the payment app in front). */
export function documentVisibility(listener: (visible: boolean) => void): () => void {
  const handler = () => listener(document.visibilityState !== 'hidden');
  document.addEventListener('visibilitychange', handler);
  return () => document.removeEventListener('visibilitychange', handler);
}

/** uni.login's provider name for a payment provider's mini program. */
const LOGIN_PROVIDERS: Record<string, 'weixin' | 'alipay'> = { wxpay: 'weixin', alipay: 'alipay' };

/** The code of uni.login (mp-weixin: wx.login; mp-alipay: my.getAuthCode with the silent auth_base scope). */
export function uniLoginCode(provider: ProviderName): Promise<string> {
  const name = LOGIN_PROVIDERS[provider];
  if (!name) return Promise.reject(new VkPayError(40001, `no mini-program login for ${provider}`));
  return new Promise((resolve, reject) => {
    uni.login({
      provider: name,
      success: (res: { code?: string; authCode?: string }) => {
        const code = res.code || res.authCode;
        if (code) resolve(code);
        else reject(new VkPayError(50000, 'uni.login gave no code'));
      },
      fail: (err: { errMsg?: string }) => reject(new VkPayError(50000, err.errMsg ?? 'uni.login failed')),
    } as unknown as UniApp.LoginOptions);
  });
}

export const uniPlatform: PlatformBridge = {
  storeKit: uniStoreKit,
  orderMemory: uniOrderMemory,
  platform() {
    return uni.getSystemInfoSync().uniPlatform;
  },
  requestPayment(provider, payment) {
    if (payment.kind === 'virtualPayment') return requestVirtualPayment(payment, this.platform());
    const bridge = (globalThis as { WeixinJSBridge?: WeixinJSBridgeLike }).WeixinJSBridge;
    if (payment.kind === 'requestPayment' && this.platform() === 'web') {
      // JSAPI inside WeChat's browser: uni.requestPayment does not exist on H5.
      if (!bridge) return Promise.reject(new VkPayError(40001, 'JSAPI payment needs the WeChat browser'));
      return new Promise((resolve, reject) => {
        bridge.invoke('getBrandWCPayRequest', payment.params, (res) => {
          if (res.err_msg === 'get_brand_wcpay_request:ok') resolve('ok');
          else if (isCancel(res.err_msg)) resolve('cancel');
          else reject(new VkPayError(50000, res.err_msg ?? 'JSAPI payment failed'));
        });
      });
    }
    return new Promise((resolve, reject) => {
      uni.requestPayment({
        ...(requestPaymentArgs(provider, payment) as unknown as UniApp.RequestPaymentOptions),
        success: (res: unknown) => {
          const outcome = tradePayOutcome(res);
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        },
        fail: (err: { errMsg?: string }) => (isCancel(err.errMsg) ? resolve('cancel') : reject(new VkPayError(50000, err.errMsg ?? 'payment failed'))),
      });
    });
  },
  redirect(url) {
    if (typeof window !== 'undefined') window.location.href = url;
  },
  openWindow(url) {
    if (typeof window !== 'undefined' && typeof window.open === 'function') {
      if (!window.open(url, '_blank')) window.location.href = url;
      return;
    }
    uni.setClipboardData({ data: url });
  },
  loginCode: uniLoginCode,
  osName() {
    return uni.getSystemInfoSync().osName;
  },
  inWeixinBrowser() {
    return typeof navigator !== 'undefined' && /MicroMessenger/i.test(navigator.userAgent ?? '');
  },
  currentUrl() {
    return typeof window !== 'undefined' ? window.location.href : '';
  },
  replaceUrl(url) {
    if (typeof window !== 'undefined' && window.history?.replaceState) window.history.replaceState(window.history.state, '', url);
  },
  onVisibilityChange(listener) {
    // Page hooks: uni-app hands a component's onShow/onHide to its page, and fires them when the app goes to the
    // background for the WeChat/Alipay sheet or another page covers this one (uni-app's own runtime is needed).
    onShow(() => listener(true));
    onHide(() => listener(false));
    // H5 also has the browser's tab visibility (another tab, a locked phone).
    if (typeof document !== 'undefined' && typeof document.addEventListener === 'function') return documentVisibility(listener);
    return () => {};
  },
};

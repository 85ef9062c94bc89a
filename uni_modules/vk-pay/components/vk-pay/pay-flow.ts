/**
 * What Pay does in `<vk-pay>`: the payer's login first where the pay type pays as a known payer (payer-login.ts:
 * a mini program's login code, or the official account's OAuth round trip in WeChat's browser), createPayment,
 * then opening the payment the way this platform pays (a page to open, a code_url to scan, the WeChat/Alipay
 * sheet, the App Store) and handing the order to the session's polling (pay-session.ts).
 *
 * Which pay types can open here comes from the server (getPayOptions, cached by the store); until it answers
 * (or when it cannot be reached) nothing is gated and createPayment decides.
 */
import { computed, ref, type ComputedRef } from 'vue';
import { buyFromAppStore, restoreAppStorePurchases, type AppleClientPayment, type RestoreSummary } from './appleiap';
import { failureFor, failureFromError, isTransient, type Lang, type Translate } from './failure';
import type { CreatePaymentParams, CreatePaymentResult, PayOptions, PayType, ProviderName } from './api-types';
import type { PlatformBridge } from './platform';
import { platformTags, unavailableReason } from './pay-types';
import { authorizeUrl, isPayerReady, loginHint, newState, savePending, setPayerReady, takeOAuthReturn, withoutOAuthParams } from './payer-login';
import type { PaymentStore } from './store';
import type { PaySession, VkPayEmit } from './pay-session';

/** The props that say what to pay and how to open it. */
export interface FlowProps {
  provider: ProviderName;
  payType: PayType;
  type: string;
  amount?: number;
  goodsId?: string;
  subject?: string;
  returnUrl?: string;
  disabled?: boolean;
  h5Redirect?: boolean;
}

export interface FlowDeps {
  props: Readonly<FlowProps>;
  store: PaymentStore;
  platform: PlatformBridge;
  emit: VkPayEmit;
  t: Translate;
  lang: ComputedRef<Lang>;
  session: PaySession;
}

export function usePayFlow({ props, store, platform, emit, t, lang, session }: FlowDeps) {
  const { fail, startPolling, stopPolling, cancel } = session;
  const loggingIn = ref(false);
  const options = ref<PayOptions | null>(null);
  /** why this pay type cannot open where the component runs (a message key), once the server's options are in */
  const unavailable = computed(() => {
    if (!options.value?.providers) return undefined;
    const tags = platformTags(platform.platform(), platform.osName?.(), platform.inWeixinBrowser());
    return unavailableReason(options.value, props.provider, props.payType, tags);
  });

  function params(): CreatePaymentParams {
    const p: CreatePaymentParams = { provider: props.provider, pay_type: props.payType, type: props.type };
    if (props.amount !== undefined) p.amount = props.amount;
    if (props.goodsId) p.goods_id = props.goodsId;
    if (props.subject) p.subject = props.subject;
    if (props.returnUrl) p.return_url = props.returnUrl;
    return p;
  }

  async function start(): Promise<void> {
    if (store.busy || props.disabled || unavailable.value) return;
    stopPolling();
    session.modal.value = null;
    session.openUrl.value = '';
    session.codeUrl.value = '';
    store.finish('creating');
    const hint = loginHint(options.value, props.provider, props.payType);
    if (hint?.authorize_url && !isPayerReady(props.provider, props.payType, hint)) {
      // WeChat's browser: the official account's OAuth page sends the person back here with a code (resumeOAuth)
      const state = newState();
      savePending({ state, provider: props.provider, pay_type: props.payType, at: Date.now() });
      platform.redirect(authorizeUrl(hint, withoutOAuthParams(platform.currentUrl()), state));
      return;
    }
    if (hint && !hint.authorize_url) {
      // a mini program: a fresh login code each time (it also renews the session key the server keeps)
      loggingIn.value = true;
      try {
        await store.getOpenid({ provider: props.provider, pay_type: props.payType, code: await platform.loginCode(props.provider) });
      } catch (err) {
        fail(failureFromError(err, lang.value), err);
        return;
      } finally {
        loggingIn.value = false;
      }
    }
    let created: CreatePaymentResult;
    try {
      created = await store.createPayment(params());
    } catch (err) {
      // the server no longer knows this browser's payer: the next Pay goes through the OAuth page again
      if (hint?.authorize_url) setPayerReady(props.provider, props.payType, hint, false);
      fail(failureFromError(err, lang.value), err);
      return;
    }
    emit('created', created);
    const { payment, out_trade_no } = created;
    if (payment.kind === 'h5_url' || payment.kind === 'page_url') {
      const url = payment.kind === 'h5_url' ? payment.h5_url : payment.page_url;
      session.openUrl.value = url;
      startPolling(out_trade_no);
      if (props.h5Redirect) platform.redirect(url);
      return;
    }
    if (payment.kind === 'code_url') {
      session.codeUrl.value = payment.code_url;
      startPolling(out_trade_no);
      return;
    }
    store.finish('paying');
    if (payment.kind === 'appleiap') return payInAppStore(out_trade_no, payment);
    try {
      const outcome = await platform.requestPayment(props.provider, payment);
      if (outcome === 'cancel') {
        // backed out of the WeChat/Alipay sheet: close it on the server too, so the order says cancelled
        await cancel();
        return;
      }
    } catch (err) {
      // the sheet failed (its errMsg is for developers): the payer reads that the payment was not completed
      fail({ ...failureFor('sheet', t, out_trade_no), detail: err instanceof Error ? err.message : String(err) }, err);
      return;
    }
    // The platform's "ok" is only a hint: the server's answer (notification or provider query) is what counts.
    startPolling(out_trade_no);
  }

  /**
   * App Store (iOS App): StoreKit buys, the server verifies what the device got, and only then is the transaction
   * finished. A purchase the server could not confirm yet (network) is left to the notification and the polling;
   * one it refused shows the error.
   */
  async function payInAppStore(out_trade_no: string, payment: AppleClientPayment): Promise<void> {
    if (!platform.storeKit || !platform.orderMemory) {
      fail({ ...failureFor('sheet', t, out_trade_no), detail: 'App Store purchases need the iOS App with the Apple in-app purchase module' });
      return;
    }
    let bought = false;
    try {
      const outcome = await buyFromAppStore(platform.storeKit, platform.orderMemory, out_trade_no, payment, (proof) => {
        bought = true;
        return store.verifyApplePurchase(out_trade_no, proof);
      });
      if (outcome === 'cancel') {
        await cancel();
        return;
      }
    } catch (err) {
      if (!bought) fail({ ...failureFor('sheet', t, out_trade_no), detail: err instanceof Error ? err.message : String(err) }, err);
      else if (isTransient(err)) startPolling(out_trade_no);
      else fail(failureFromError(err, lang.value, out_trade_no), err);
      return;
    }
    startPolling(out_trade_no);
  }

  /** Restore purchases: what StoreKit still holds from this device is proved again and finished once confirmed. */
  async function restore(): Promise<RestoreSummary> {
    if (!platform.storeKit || !platform.orderMemory) return { confirmed: [], failed: [], unknown: 0 };
    return restoreAppStorePurchases(platform.storeKit, platform.orderMemory, (no, proof) => store.verifyApplePurchase(no, proof));
  }

  /**
   * Back from the official account's OAuth page with `?code=&state=` for the round trip this page started: the
   * code goes to the server, the address loses it, and the payment the person asked for goes on.
   */
  async function resumeOAuth(): Promise<void> {
    const hint = loginHint(options.value, props.provider, props.payType);
    if (!hint?.authorize_url) return;
    const back = takeOAuthReturn(platform.currentUrl(), props.provider, props.payType, Date.now());
    if (!back) return;
    platform.replaceUrl(withoutOAuthParams(platform.currentUrl()));
    loggingIn.value = true;
    store.finish('creating');
    try {
      await store.getOpenid({ provider: props.provider, pay_type: props.payType, code: back.code });
      setPayerReady(props.provider, props.payType, hint, true);
    } catch (err) {
      loggingIn.value = false;
      fail(failureFromError(err, lang.value), err);
      return;
    }
    loggingIn.value = false;
    store.finish('idle');
    await start();
  }

  /** Asks the server's options once (the store caches them), then finishes an OAuth round trip if one came back. */
  function loadOptions(): void {
    store.payOptions().then((o) => {
      options.value = o && Array.isArray(o.providers) ? o : null;
      return resumeOAuth();
    }).catch(() => { /* unknown options gate nothing */ });
  }

  return { loggingIn, unavailable, start, restore, loadOptions };
}

/**
 * How one payment of `<vk-pay>` ends: polling queryPayment with backoff (paused while the page is hidden) until
 * the order is final, the person backing out (cancelPayment first), and the three endings - `success`, `fail`
 * (with the modal), `cancel` - each emitted once with the store's phase moved to match. The state the view shows
 * while paying (the page or code_url to open, the modal) lives here too, so the view only renders it.
 */
import { ref, type ComputedRef } from 'vue';
import { BackoffPoller, type PollVerdict } from './poller';
import { failureFor, failureFromError, isTransient, logFailure, type EndingReason, type Lang, type Translate } from './failure';
import type { CreatePaymentResult, PayFailure, QueryPaymentResult } from './api-types';
import type { PaymentStore } from './store';

/** What the component passes on to its parent (its `defineEmits`). */
export interface VkPayEmit {
  (e: 'created', order: CreatePaymentResult): void;
  (e: 'success', result: QueryPaymentResult): void;
  (e: 'fail', failure: PayFailure): void;
  (e: 'cancel', info: { out_trade_no?: string }): void;
}

/** The props the polling reads (undefined: the poller's defaults). */
export interface PollProps {
  pollSchedule?: number[];
  pollMaxIntervalMs?: number;
  pollTimeoutMs?: number;
}

export interface SessionDeps {
  props: Readonly<PollProps>;
  store: PaymentStore;
  emit: VkPayEmit;
  t: Translate;
  lang: ComputedRef<Lang>;
}

export function usePaySession({ props, store, emit, t, lang }: SessionDeps) {
  const cancelling = ref(false);
  const modal = ref<PayFailure | null>(null);
  /** an H5 payment page (h5_url / page_url), offered while paying */
  const openUrl = ref('');
  /** a code_url, shown as a QR code while paying */
  const codeUrl = ref('');
  let poller: BackoffPoller | null = null;

  function stopPolling(): void {
    poller?.stop();
    poller = null;
  }

  function fail(failure: PayFailure, cause?: unknown): void {
    stopPolling();
    store.finish(failure.reason === 'closed' ? 'closed' : failure.reason === 'timeout' ? 'timeout' : failure.reason === 'cancelled' ? 'cancelled' : 'failed', failure);
    logFailure(failure, cause);
    modal.value = failure;
    emit('fail', failure);
  }

  function cancelled(out_trade_no: string | undefined): void {
    stopPolling();
    store.finish('cancelled');
    emit('cancel', { out_trade_no });
  }

  function paid(result: QueryPaymentResult): void {
    stopPolling();
    store.finish('paid');
    emit('success', result);
  }

  /**
   * The person backs out: the server closes the order at the provider first (cancelPayment). If the money went
   * through meanwhile it answers paid, and that wins; if the server cannot be reached the page still lets go (the
   * order stays pending and the timer closes it when it expires).
   */
  async function cancel(): Promise<void> {
    const out_trade_no = store.order?.out_trade_no;
    stopPolling();
    if (!out_trade_no) return cancelled(undefined);
    cancelling.value = true;
    try {
      const result = await store.cancelPayment(out_trade_no);
      if (result.status !== 'pending' && result.status !== 'closed') return paid(result);
    } catch (err) {
      logFailure(failureFromError(err, lang.value, out_trade_no), err);
    } finally {
      cancelling.value = false;
    }
    cancelled(out_trade_no);
  }

  /** Which words a closed order gets: the server's close_reason, asked once the order is final. */
  async function closedOrder(out_trade_no: string): Promise<void> {
    let reason: EndingReason = 'closed';
    let providerReason: string | undefined;
    try {
      const r = await store.getPaymentResult(out_trade_no);
      if (r.close_reason === 'cancelled') return cancelled(out_trade_no);
      if (r.close_reason === 'failed') reason = 'failed';
      else if (r.close_reason === 'expired') reason = 'expired';
      providerReason = r.provider_reason;
    } catch {
      // the generic "closed" words are still true
    }
    fail(failureFor(reason, t, out_trade_no, providerReason));
  }

  async function pollOnce(out_trade_no: string): Promise<PollVerdict> {
    try {
      const result = await store.queryPayment(out_trade_no);
      if (result.status === 'pending') return 'continue';
      stopPolling();
      // paid, or already (partly) refunded: either way the money was received.
      if (result.status === 'closed') await closedOrder(out_trade_no);
      else paid(result);
      return 'stop';
    } catch (err) {
      if (isTransient(err)) return 'continue';
      fail(failureFromError(err, lang.value, out_trade_no), err);
      return 'stop';
    }
  }

  function startPolling(out_trade_no: string): void {
    stopPolling();
    store.finish('polling');
    const current = new BackoffPoller(
      () => pollOnce(out_trade_no),
      () => fail(failureFor('timeout', t, out_trade_no)),
      { schedule: props.pollSchedule, maxIntervalMs: props.pollMaxIntervalMs, timeoutMs: props.pollTimeoutMs },
    );
    poller = current;
    current.start();
  }

  function setVisible(visible: boolean): void {
    if (!poller) return;
    if (visible) {
      poller.resume();
      if (store.phase === 'paused') store.finish('polling');
    } else {
      poller.pause();
      if (store.phase === 'polling') store.finish('paused');
    }
  }

  return { cancelling, modal, openUrl, codeUrl, stopPolling, startPolling, setVisible, fail, cancel };
}

export type PaySession = ReturnType<typeof usePaySession>;

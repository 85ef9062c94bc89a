/**
 * The client's payment state (pinia): where the cloud object is, who is asking (sandbox dev uid, admin token),
 * the order being paid and the last outcome, so the result page can show what the checkout page started.
 * Every call to the server goes through `transport()`.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { createTransport, type Requester, type Transport } from './transport';
import type { CreatePaymentParams, CreatePaymentResult, PayFailure, QueryPaymentResult } from './api-types';

const STORAGE_DEV_UID = 'vkpay:devUid';
const STORAGE_ADMIN_TOKEN = 'vkpay:adminToken';
/** the order last created here, for a result page reached from a payment page's return URL */
const STORAGE_LAST_ORDER = 'vkpay:lastOrder';

function hasUni(): boolean {
  return typeof uni !== 'undefined' && typeof uni.getStorageSync === 'function';
}
function loadString(key: string): string {
  if (!hasUni()) return '';
  const v: unknown = uni.getStorageSync(key);
  return typeof v === 'string' ? v : '';
}
function saveString(key: string, value: string): void {
  if (hasUni()) uni.setStorageSync(key, value);
}
function envBaseUrl(): string {
  // Build-time setting for mini-programs and App, which have no "same origin"; H5 served by the host leaves it empty.
  return import.meta.env?.VITE_VKPAY_BASE_URL ?? '';
}

export type PayPhase = 'idle' | 'creating' | 'paying' | 'polling' | 'paused' | 'paid' | 'closed' | 'failed' | 'cancelled' | 'timeout';

export interface PaymentConfig {
  baseUrl?: string;
  devUid?: string;
  adminToken?: string;
  requester?: Requester;
  timeoutMs?: number;
}

export const usePaymentStore = defineStore('vk-pay', () => {
  const baseUrl = ref(envBaseUrl());
  const devUid = ref(loadString(STORAGE_DEV_UID));
  const adminToken = ref(loadString(STORAGE_ADMIN_TOKEN));
  const timeoutMs = ref<number | undefined>(undefined);
  const requester = shallowRef<Requester | undefined>(undefined);

  const order = ref<CreatePaymentResult | null>(null);
  const phase = ref<PayPhase>('idle');
  const lastResult = ref<QueryPaymentResult | null>(null);
  const lastFailure = ref<PayFailure | null>(null);

  const busy = computed(() => ['creating', 'paying', 'polling', 'paused'].includes(phase.value));

  function configure(config: PaymentConfig): void {
    if (config.baseUrl !== undefined) baseUrl.value = config.baseUrl;
    if (config.devUid !== undefined) {
      devUid.value = config.devUid;
      saveString(STORAGE_DEV_UID, config.devUid);
    }
    if (config.adminToken !== undefined) {
      adminToken.value = config.adminToken;
      saveString(STORAGE_ADMIN_TOKEN, config.adminToken);
    }
    if (config.requester !== undefined) requester.value = config.requester;
    if (config.timeoutMs !== undefined) timeoutMs.value = config.timeoutMs;
  }

  function transport(): Transport {
    return createTransport({
      baseUrl: baseUrl.value,
      devUid: devUid.value || undefined,
      adminToken: adminToken.value || undefined,
      requester: requester.value,
      timeoutMs: timeoutMs.value,
    });
  }

  async function createPayment(params: CreatePaymentParams): Promise<CreatePaymentResult> {
    const created = await transport().call<CreatePaymentResult>('createPayment', params);
    order.value = created;
    saveString(STORAGE_LAST_ORDER, created.out_trade_no);
    lastResult.value = null;
    lastFailure.value = null;
    return created;
  }

  async function queryPayment(out_trade_no: string): Promise<QueryPaymentResult> {
    const result = await transport().call<QueryPaymentResult>('queryPayment', { out_trade_no });
    lastResult.value = result;
    return result;
  }

  /** The order a return from a payment page belongs to, when the return URL does not say. */
  function lastOrderNo(): string {
    return order.value?.out_trade_no ?? loadString(STORAGE_LAST_ORDER);
  }

  function finish(next: PayPhase, failure: PayFailure | null = null): void {
    phase.value = next;
    lastFailure.value = failure;
  }

  function reset(): void {
    order.value = null;
    phase.value = 'idle';
    lastResult.value = null;
    lastFailure.value = null;
  }

  /** Admin calls carry the bearer token; the server answers 40009 without a valid one. */
  function admin<T>(method: 'getStats' | 'listLogs' | 'listErrors' | 'syncOrder' | 'replayHooks', params: object): Promise<T> {
    return transport().call<T>(method, params, { admin: true });
  }

  return {
    baseUrl, devUid, adminToken, order, phase, lastResult, lastFailure, busy,
    configure, transport, createPayment, queryPayment, lastOrderNo, finish, reset, admin,
  };
});

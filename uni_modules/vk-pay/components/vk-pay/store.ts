/**
 * The client's payment state: how to reach the cloud object (transport kind, base URL for HTTP, the admin token
 * an admin entered), the order being paid and the last outcome, so the result page can show what the checkout
 * page started. A plain Vue reactive object, one per app, so the package needs no store library from the project.
 * Every call to the server goes through `transport()`; who the user is comes from their uni-id token, never from here.
 */
import { reactive } from 'vue';
import { createTransport, type Requester, type Transport, type UniCloudClient } from './transport';
import type { CreatePaymentParams, CreatePaymentResult, GetOpenidParams, PayFailure, PayOptions, PaymentResult, QueryPaymentResult } from './api-types';

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
  if (!hasUni()) return;
  if (value) uni.setStorageSync(key, value);
  else uni.removeStorageSync(key);
}

interface ViteEnv { VITE_VKPAY_BASE_URL?: string; VITE_VKPAY_TRANSPORT?: string }
function viteEnv(): ViteEnv {
  return ((import.meta as { env?: ViteEnv }).env ?? {}) as ViteEnv;
}
/** Build-time settings: the URL-ized object for HTTP (mini-programs and App have no "same origin"), and the transport. */
function envTransportKind(): TransportKind {
  const v = viteEnv().VITE_VKPAY_TRANSPORT;
  return v === 'http' || v === 'unicloud' ? v : 'auto';
}

export type TransportKind = 'auto' | 'unicloud' | 'http';
export type PayPhase = 'idle' | 'creating' | 'paying' | 'polling' | 'paused' | 'paid' | 'closed' | 'failed' | 'cancelled' | 'timeout';
const BUSY: readonly PayPhase[] = ['creating', 'paying', 'polling', 'paused'];

export interface PaymentConfig {
  /** 'auto' (default): uniCloud.importObject where the app has a space, else HTTP */
  transport?: TransportKind;
  /** HTTP only: where `/http/vk-pay-co/<method>` is served ('' = same origin) */
  baseUrl?: string;
  /** an admin's bearer token (kept in storage on this device) */
  adminToken?: string;
  requester?: Requester;
  uniCloud?: UniCloudClient;
  timeoutMs?: number;
}

export interface PaymentStore {
  transportKind: TransportKind;
  baseUrl: string;
  adminToken: string;
  timeoutMs: number | undefined;
  order: CreatePaymentResult | null;
  phase: PayPhase;
  lastResult: QueryPaymentResult | null;
  lastFailure: PayFailure | null;
  readonly busy: boolean;
  configure(config: PaymentConfig): void;
  transport(): Transport;
  createPayment(params: CreatePaymentParams): Promise<CreatePaymentResult>;
  queryPayment(out_trade_no: string): Promise<QueryPaymentResult>;
  /** the payer backed out: the server closes the order at the provider first (answers paid if it was paid) */
  cancelPayment(out_trade_no: string): Promise<QueryPaymentResult>;
  /** a login code for a pay type that pays as a known payer: the server keeps the openid */
  getOpenid(params: GetOpenidParams): Promise<void>;
  /** the result page's view: state, what was bought, why it closed, what it did */
  getPaymentResult(out_trade_no: string): Promise<PaymentResult>;
  /** providers, order types and their limits (asked once per store, again with `fresh`) */
  payOptions(fresh?: boolean): Promise<PayOptions>;
  lastOrderNo(): string;
  finish(next: PayPhase, failure?: PayFailure | null): void;
  reset(): void;
  admin<T>(method: string, params: object): Promise<T>;
}

export function createPaymentStore(): PaymentStore {
  // Functions and clients stay outside the reactive object: Vue would wrap them in proxies.
  let requester: Requester | undefined;
  let client: UniCloudClient | undefined;
  let options: Promise<PayOptions> | undefined;
  const store: PaymentStore = reactive({
    transportKind: envTransportKind(),
    baseUrl: viteEnv().VITE_VKPAY_BASE_URL ?? '',
    adminToken: loadString(STORAGE_ADMIN_TOKEN),
    timeoutMs: undefined as number | undefined,
    order: null as CreatePaymentResult | null,
    phase: 'idle' as PayPhase,
    lastResult: null as QueryPaymentResult | null,
    lastFailure: null as PayFailure | null,
    get busy(): boolean {
      return BUSY.includes(this.phase);
    },
    configure(config: PaymentConfig): void {
      options = undefined;
      if (config.transport !== undefined) store.transportKind = config.transport;
      if (config.baseUrl !== undefined) store.baseUrl = config.baseUrl;
      if (config.adminToken !== undefined) {
        store.adminToken = config.adminToken;
        saveString(STORAGE_ADMIN_TOKEN, config.adminToken);
      }
      if (config.requester !== undefined) requester = config.requester;
      if (config.uniCloud !== undefined) client = config.uniCloud;
      if (config.timeoutMs !== undefined) store.timeoutMs = config.timeoutMs;
    },
    transport(): Transport {
      return createTransport({
        kind: store.transportKind,
        baseUrl: store.baseUrl,
        adminToken: store.adminToken || undefined,
        requester,
        uniCloud: client,
        timeoutMs: store.timeoutMs,
      });
    },
    async createPayment(params: CreatePaymentParams): Promise<CreatePaymentResult> {
      const created = await store.transport().call<CreatePaymentResult>('createPayment', params);
      store.order = created;
      saveString(STORAGE_LAST_ORDER, created.out_trade_no);
      store.lastResult = null;
      store.lastFailure = null;
      return created;
    },
    async queryPayment(out_trade_no: string): Promise<QueryPaymentResult> {
      const result = await store.transport().call<QueryPaymentResult>('queryPayment', { out_trade_no });
      store.lastResult = result;
      return result;
    },
    async cancelPayment(out_trade_no: string): Promise<QueryPaymentResult> {
      const result = await store.transport().call<QueryPaymentResult>('cancelPayment', { out_trade_no });
      store.lastResult = result;
      return result;
    },
    /** A login code -> the server keeps the payer's openid for this user and app; the openid itself is not needed here. */
    async getOpenid(params: GetOpenidParams): Promise<void> {
      await store.transport().call<{ openid: string }>('getOpenid', params);
    },
    getPaymentResult(out_trade_no: string): Promise<PaymentResult> {
      return store.transport().call<PaymentResult>('getPaymentResult', { out_trade_no });
    },
    payOptions(fresh = false): Promise<PayOptions> {
      if (!options || fresh) {
        const asked = store.transport().call<PayOptions>('getPayOptions', {});
        // a failed ask is not kept: the next call asks again
        options = asked.catch((err) => { options = undefined; throw err; });
      }
      return options;
    },
    /** The order a return from a payment page belongs to, when the return URL does not say. */
    lastOrderNo(): string {
      return store.order?.out_trade_no ?? loadString(STORAGE_LAST_ORDER);
    },
    finish(next: PayPhase, failure: PayFailure | null = null): void {
      store.phase = next;
      store.lastFailure = failure;
    },
    reset(): void {
      store.order = null;
      store.phase = 'idle';
      store.lastResult = null;
      store.lastFailure = null;
    },
    /** Admin calls: a uni-id user with an admin role, or the bearer token entered on this device. */
    admin<T>(method: string, params: object): Promise<T> {
      return store.transport().call<T>(method, params, { admin: true });
    },
  }) as PaymentStore;
  return store;
}

let shared: PaymentStore | undefined;

/** The app's one payment store (created on first use). */
export function usePaymentStore(): PaymentStore {
  shared ??= createPaymentStore();
  return shared;
}

/** Tests: forget the shared store so the next usePaymentStore() starts clean. */
export function resetPaymentStore(): void {
  shared = undefined;
}

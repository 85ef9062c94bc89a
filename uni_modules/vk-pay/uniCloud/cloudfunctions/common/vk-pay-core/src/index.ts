/**
 * The bundle's entry (`npm run build:cloud` -> `vk-pay-core/index.js`, CommonJS). The three cloud entry points
 * require this module and call one factory each; `loadServices()` is the single place where the core's
 * services are wired to the adapters.
 */
import { createCloudObject } from './entry/cloud-object';
import { createNotifyFunction } from './entry/notify';
import { createTimerFunction } from './entry/timer';
import { lazyServices } from './entry/lazy';
import type { CoreServices } from './entry/services';
import { ADMIN_METHOD_NAMES } from './admin/methods';
import { loadConfig } from './config/load';
import { createCoreServices, uniIdAuth, vkRouterAuth, type VkPayCore } from './core-services';
import type { TransferApi } from './services/transfer/api';
import type { VirtualCoinApi } from './services/virtual-coins';
import { createBaseDao } from './dao/base-dao';
import type { Database } from './platform/database';

export type { TransferApi } from './services/transfer/api';
export type { VirtualCoinApi } from './services/virtual-coins';
export type { CoreServices, CloudMethod, CloudRequest, ClientInfo, HttpInfo } from './entry/services';
export { createCloudObject, createNotifyFunction, createTimerFunction, lazyServices };
// Inside the VK framework: `createCoreServices({ dao: vk.baseDao, db: uniCloud.database(), config: loadConfig() })`.
export { createCoreServices, loadConfig, createBaseDao };
// Auth adapters for the config's `auth` hook (uni-config-center/vk-pay/config.example.js).
export { uniIdAuth, vkRouterAuth };

/**
 * The client-callable methods the cloud object exposes. uniCloud needs the names when the module loads, before
 * the services exist (they are created on the first call, see entry/lazy.ts); test/cloud/wiring.test.ts checks
 * that this list is exactly what createCoreServices provides.
 */
export const CLIENT_METHOD_NAMES = ['createPayment', 'queryPayment', 'closeOrder', 'cancelPayment', 'getPaymentResult', 'refund', 'queryRefund', 'getPayOptions', 'getOpenid', 'verifyApplePurchase'] as const;
export const CLOUD_METHOD_NAMES: readonly string[] = [...CLIENT_METHOD_NAMES, ...ADMIN_METHOD_NAMES];

declare const uniCloud: { database(): Database };

/** The real services on plain uniCloud: config from uni-config-center, data through createBaseDao(uniCloud.database()). */
function createUniCloudServices(): VkPayCore {
  const config = loadConfig();
  const db = uniCloud.database();
  return createCoreServices({ dao: createBaseDao(db), db, config });
}

let core: VkPayCore | undefined;
let services: CoreServices | undefined;
const coreOnce = (): VkPayCore => (core ??= createUniCloudServices());

/** One CoreServices per loaded bundle, created on the first call so a bad config answers an envelope. */
export function loadServices(): CoreServices {
  services ??= lazyServices(CLOUD_METHOD_NAMES, coreOnce);
  return services;
}

/**
 * Payouts from the merchant's own cloud code (a withdrawal the business approved), beside the admin's methods:
 * `const { transfer } = require('vk-pay-core').vkPayTransfers(); await transfer({ provider, out_bill_no, amount,
 * openid | payee, remark, user_id })`. The same service, limits and exactly-once rules as the admin's `transfer`.
 */
export function vkPayTransfers(): TransferApi {
  return {
    transfer: (params) => coreOnce().transfers.transfer(params),
    queryTransfer: (params) => coreOnce().transfers.queryTransfer(params),
    cancelTransfer: (params) => coreOnce().transfers.cancelTransfer(params),
  };
}

/**
 * WeChat virtual payment coins from the merchant's own cloud code (coin mode): `const { queryUserBalance,
 * currencyPay } = require('vk-pay-core').vkPayVirtual(); await currencyPay({ user_id, order_id, amount, payitem,
 * user_ip })`. The user's openid and session key are the ones getOpenid stored; see services/virtual-coins.ts.
 */
export function vkPayVirtual(): VirtualCoinApi {
  return {
    queryUserBalance: (params) => coreOnce().virtualCoins.queryUserBalance(params),
    currencyPay: (params) => coreOnce().virtualCoins.currencyPay(params),
    cancelCurrencyPay: (params) => coreOnce().virtualCoins.cancelCurrencyPay(params),
  };
}

/** `vk-pay-co/index.obj.js`: `module.exports = require('vk-pay-core').vkPayCloudObject()` */
export function vkPayCloudObject() {
  return createCloudObject(loadServices());
}

/** `vk-pay-notify/index.js`: `exports.main = require('vk-pay-core').vkPayNotify()` */
export function vkPayNotify() {
  return createNotifyFunction(loadServices());
}

/** `vk-pay-sync/index.js`: `exports.main = require('vk-pay-core').vkPaySync()` */
export function vkPaySync() {
  return createTimerFunction(loadServices());
}

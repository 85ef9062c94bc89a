/**
 * The bundle's entry (`npm run build:cloud` -> `vk-pay-core/index.js`, CommonJS). The three cloud entry points
 * require this module and call one factory each; `loadServices()` is the single place where the core's
 * services are wired to the adapters.
 */
import { createCloudObject } from './entry/cloud-object';
import { createNotifyFunction } from './entry/notify';
import { createTimerFunction } from './entry/timer';
import { createMinimalServices } from './entry/minimal-services';
import { lazyServices } from './entry/lazy';
import type { CoreServices } from './entry/services';

export type { CoreServices, CloudMethod, CloudRequest, ClientInfo, HttpInfo } from './entry/services';
export { createCloudObject, createNotifyFunction, createTimerFunction, lazyServices };

let services: CoreServices | undefined;

/** One CoreServices per loaded bundle. Integration point: replace the minimal services with the core's. */
export function loadServices(): CoreServices {
  services ??= createMinimalServices();
  return services;
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

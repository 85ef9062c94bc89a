/**
 * Ready-made auth hooks for the config's `auth` field.
 *
 * uni-id (uniCloud's account system): the client sends its token automatically; the cloud object hands it to
 * us as `uniIdToken` (`this.getUniIdToken()`). We verify it with `uni-id-common` when that module is a
 * dependency of the cloud function (add it in vk-pay-co's package.json):
 *
 *   // uni-config-center/vk-pay/config.js
 *   const { uniIdAuth } = require('vk-pay-core');
 *   module.exports = { ..., auth: uniIdAuth() };
 *
 * VK router (vk-unicloud-router): VK has already checked the token and puts the user in `userInfo`; a VK
 * cloud function calling vk-pay passes it along (`{ ...req, userInfo }`) and uses `vkRouterAuth()`.
 */
import type { AuthHook, AuthIdentity } from '../config/schema';

interface UniIdCheckTokenResult { errCode?: number | string; uid?: string; role?: string[]; userInfo?: unknown }
interface UniIdCommon { createInstance(opts: { clientInfo: unknown }): { checkToken(token: string): Promise<UniIdCheckTokenResult> } }

export function uniIdAuth(opts: { uniIdCommon?: UniIdCommon } = {}): AuthHook {
  return async (req) => {
    const token = req.uniIdToken;
    if (!token) return null;
    const mod = opts.uniIdCommon ?? (require('uni-id-common') as UniIdCommon);
    const res = await mod.createInstance({ clientInfo: req.clientInfo }).checkToken(token);
    if (res.errCode !== 0 && res.errCode !== undefined) return null;
    if (!res.uid) return null;
    return { uid: res.uid, role: res.role ?? [] } satisfies AuthIdentity;
  };
}

export function vkRouterAuth(): AuthHook {
  return (req) => {
    const info = req.userInfo as { _id?: string; uid?: string; role?: string[] } | undefined;
    const uid = info?._id ?? info?.uid;
    if (!uid) return null;
    return { uid, role: Array.isArray(info?.role) ? info!.role : [] };
  };
}

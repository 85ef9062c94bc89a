/**
 * The identity resolvers the config's `auth` field names.
 *
 * `'uni-id'` (the default): the client sends the user's uni-id token (uniCloud.importObject does it by itself; the
 * HTTP transport sends the `uni-id-token` header), the cloud object hands it over (`this.getUniIdToken()`), and
 * DCloud's `uni-id-common` verifies it: HS256 signed with `tokenSecret` from uni-config-center/uni-id/config.json,
 * expiry checked, `uid` and `role` read. vk-pay-co (and vk-pay-core) declare uni-id-common as a dependency, as the
 * plugin market installs it with vk-pay. A token that is present but forged, expired or wrongly signed is refused
 * (40009), never taken as "no user"; a missing uni-id-common is a configuration error (40003) naming the module.
 *
 * `'vk-router'`: inside the VK framework, vk-unicloud-router has already checked the token and passes the user as
 * `userInfo`; a VK cloud function calling vk-pay forwards it (`{ ...req, userInfo }`).
 */
import { KeyConfigError, PermissionError } from '../../../../../../common/errors';
import type { AuthHook, AuthIdentity } from '../config/schema';

export interface UniIdCheckTokenResult { errCode?: number | string; errMsg?: string; uid?: string; role?: string[] }
export interface UniIdCommon { createInstance(opts: { clientInfo?: unknown }): { checkToken(token: string): Promise<UniIdCheckTokenResult> } }

export const UNI_ID_TOKEN_HEADER = 'uni-id-token';

declare const require: ((id: string) => unknown) | undefined;

/** DCloud's uni-id-common as the function installed it; 40003 naming the module when it is not there. */
export function loadUniIdCommon(): UniIdCommon {
  let mod: unknown;
  try {
    if (typeof require !== 'function') throw Object.assign(new Error('require is not available'), { code: 'MODULE_NOT_FOUND' });
    mod = require('uni-id-common');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND') {
      throw new KeyConfigError("auth 'uni-id' needs the uni-id-common module: install the uni_modules plugin uni-id-common and keep vk-pay-co's dependency on it");
    }
    throw new KeyConfigError(`uni-id-common failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!mod || typeof (mod as UniIdCommon).createInstance !== 'function') throw new KeyConfigError('uni-id-common does not export createInstance');
  return mod as UniIdCommon;
}

function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const v = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return typeof v === 'string' && v ? v : undefined;
}

/** The token a call carries: what uniCloud hands the cloud object, else the URL-ized call's `uni-id-token` header. */
export function uniIdTokenOf(req: { uniIdToken?: string; httpInfo?: { headers?: Record<string, string> } }): string | undefined {
  return req.uniIdToken || headerOf(req.httpInfo?.headers, UNI_ID_TOKEN_HEADER);
}

export function uniIdAuth(opts: { uniIdCommon?: UniIdCommon } = {}): AuthHook {
  return async (req) => {
    const mod = opts.uniIdCommon ?? loadUniIdCommon();
    const token = uniIdTokenOf(req);
    if (!token) return null;
    const res = await mod.createInstance({ clientInfo: req.clientInfo }).checkToken(token);
    if (res.errCode === 0 || res.errCode === undefined) {
      if (!res.uid) throw new PermissionError('uni-id token names no user');
      return { uid: res.uid, role: Array.isArray(res.role) ? res.role.map(String) : [] } satisfies AuthIdentity;
    }
    const expired = String(res.errCode) === 'uni-id-token-expired';
    throw new PermissionError(expired ? 'uni-id token expired: sign in again' : `uni-id token refused (${String(res.errCode)})`);
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

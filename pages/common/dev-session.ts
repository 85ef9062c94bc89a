/**
 * The demo's sign-in against the local host (sandbox env only): `POST /__dev/login {uid, role?}` answers the
 * uni-id token a real login would give, kept where uni-id and uniCloud's client keep it (`uni_id_token`,
 * `uni_id_token_expired`), so every transport sends it as a real app's would. A real app signs in with uni-id
 * (uni-id-pages); this file is part of the demo, not of the plugin.
 */
import { UNI_ID_TOKEN_EXPIRED_KEY, UNI_ID_TOKEN_KEY } from '../../uni_modules/vk-pay/components/vk-pay/transport';

export interface DevSession { uid: string; token: string; tokenExpired: number }

/** The user the stored token names, when it has not expired. */
export function currentDevUid(): string {
  const token: unknown = uni.getStorageSync(UNI_ID_TOKEN_KEY);
  const expired = Number(uni.getStorageSync(UNI_ID_TOKEN_EXPIRED_KEY));
  if (typeof token !== 'string' || !token || !(expired > Date.now())) return '';
  try {
    const payload = JSON.parse(decodeURIComponent(escape(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')))));
    return typeof payload.uid === 'string' ? payload.uid : '';
  } catch {
    return '';
  }
}

export function devLogin(baseUrl: string, uid: string, role?: string): Promise<DevSession> {
  return new Promise((resolve, reject) => {
    uni.request({
      url: `${baseUrl.replace(/\/+$/, '')}/__dev/login`,
      method: 'POST',
      header: { 'content-type': 'application/json' },
      data: JSON.stringify(role ? { uid, role } : { uid }),
      dataType: 'json',
      success: (res) => {
        const body = res.data as Partial<DevSession> & { msg?: string };
        if (res.statusCode !== 200 || typeof body.token !== 'string' || typeof body.tokenExpired !== 'number') {
          reject(new Error(body.msg || `sign-in refused (HTTP ${res.statusCode})`));
          return;
        }
        uni.setStorageSync(UNI_ID_TOKEN_KEY, body.token);
        uni.setStorageSync(UNI_ID_TOKEN_EXPIRED_KEY, body.tokenExpired);
        resolve(body as DevSession);
      },
      fail: (err) => reject(new Error(err.errMsg || 'sign-in failed')),
    });
  });
}

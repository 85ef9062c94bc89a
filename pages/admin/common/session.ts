/**
 * Who may open the admin console: a uni-id user whose role is in the plugin's `adminRoles`, or whoever holds the
 * admin bearer token. The page never decides this itself: every screen asks the server with an admin method
 * first and shows data only once the server agreed; a 40009 sends the person to the sign-in screen.
 * In the demo a uni-id admin signs in through the local host's `/__dev/login` (sandbox env only).
 */
import { toVkPayError } from '../../../uni_modules/vk-pay/common/errors';
import { usePaymentStore } from '../../../uni_modules/vk-pay/components/vk-pay/store';
import { UNI_ID_TOKEN_EXPIRED_KEY, UNI_ID_TOKEN_KEY } from '../../../uni_modules/vk-pay/components/vk-pay/transport';
import { devLogin } from '../../common/dev-session';

export const LOGIN_URL = '/pages/admin/login';

/** A cheap admin call: answers only for an admin (40009 otherwise). */
export async function checkAdmin(): Promise<void> {
  await usePaymentStore().admin('listOrders', { pageSize: 1 });
}

export function isPermissionError(err: unknown): boolean {
  return toVkPayError(err).code === 40009;
}

/** Signs in with the bearer token; forgets it again when the server refuses it. */
export async function signInWithToken(token: string): Promise<void> {
  const store = usePaymentStore();
  store.configure({ adminToken: token.trim() });
  try {
    await checkAdmin();
  } catch (err) {
    store.configure({ adminToken: '' });
    throw err;
  }
}

/** Demo only: a uni-id token with the admin role from the local host, then the same check as every screen. */
export async function signInAsDevUser(uid: string, role: string): Promise<void> {
  const store = usePaymentStore();
  store.configure({ adminToken: '' });
  await devLogin(store.baseUrl, uid, role || undefined);
  await checkAdmin();
}

export function signOut(): void {
  usePaymentStore().configure({ adminToken: '' });
  uni.removeStorageSync(UNI_ID_TOKEN_KEY);
  uni.removeStorageSync(UNI_ID_TOKEN_EXPIRED_KEY);
}

/** Screens call this before loading: false (and off to sign-in) unless the server says this is an admin. */
export async function requireAdmin(): Promise<boolean> {
  try {
    await checkAdmin();
    return true;
  } catch (err) {
    uni.reLaunch({ url: `${LOGIN_URL}?reason=${isPermissionError(err) ? 'denied' : 'error'}` });
    return false;
  }
}

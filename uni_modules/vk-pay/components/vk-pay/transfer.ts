/**
 * The payee's side of a WeChat payout (docs/PROTOCOLS.md section 10.1): since 2025 a merchant transfer waits for
 * the payee to confirm receipt in WeChat. The server's `transfer` answers `status: "waiting_user"` with
 * `confirm: {mchId, appId, package}`; the business hands that to the payee's mini-program (or official-account
 * page), which opens WeChat's confirmation page with this function:
 *
 *   import { confirmMerchantTransfer } from '@/uni_modules/vk-pay/components/vk-pay/transfer';
 *   const outcome = await confirmMerchantTransfer(view.confirm);   // 'confirmed' | 'cancelled'
 *
 * The money's final state is the server's to say (notification, queryTransfer, the timer), never this page's:
 * 'confirmed' only means the payee went through WeChat's page.
 */
import { VkPayError } from '../../common/errors';

/** What the server hands out while a WeChat payout waits for the payee (the transfer view's `confirm`). */
export interface MerchantTransferConfirm { mchId: string; appId: string; package: string }

export type ConfirmOutcome = 'confirmed' | 'cancelled';

interface UniLike {
  getSystemInfoSync(): { uniPlatform?: string };
  requestMerchantTransfer?(opts: Record<string, unknown> & { success(res: unknown): void; fail(err: { errMsg?: string }): void }): void;
}
interface WeixinJSBridgeLike { invoke(api: string, params: Record<string, string>, cb: (res: { err_msg?: string }) => void): void }

export interface ConfirmDeps {
  /** uni (default: the global); tests pass their own */
  uni?: UniLike;
  /** the official account's WeChat browser bridge (default: the global) */
  bridge?: WeixinJSBridgeLike;
}

/** The arguments of `uni.requestMerchantTransfer` / `wx.requestMerchantTransfer` (openId: the payee, optional). */
export function requestMerchantTransferArgs(confirm: MerchantTransferConfirm, openId?: string): Record<string, string> {
  if (!confirm || typeof confirm.mchId !== 'string' || typeof confirm.appId !== 'string' || typeof confirm.package !== 'string' || !confirm.package) {
    throw new VkPayError(40001, 'confirm must be the {mchId, appId, package} of a payout waiting for the payee');
  }
  const args: Record<string, string> = { mchId: confirm.mchId, appId: confirm.appId, package: confirm.package };
  if (openId) args.openId = openId;
  return args;
}

const isCancel = (msg: string | undefined) => /cancel/i.test(msg ?? '');

/** Opens WeChat's "confirm receipt" page for a payout: in the mini-program, or in the official account's browser. */
export function confirmMerchantTransfer(confirm: MerchantTransferConfirm, opts: ConfirmDeps & { openId?: string } = {}): Promise<ConfirmOutcome> {
  const args = requestMerchantTransferArgs(confirm, opts.openId);
  const u = opts.uni ?? (typeof uni !== 'undefined' ? (uni as unknown as UniLike) : undefined);
  const platform = u?.getSystemInfoSync().uniPlatform;
  if (platform === 'mp-weixin') {
    if (typeof u?.requestMerchantTransfer !== 'function') return Promise.reject(new VkPayError(40001, 'requestMerchantTransfer needs WeChat base library 3.3.0 or later'));
    return new Promise((resolve, reject) => {
      u.requestMerchantTransfer!({
        ...args,
        success: () => resolve('confirmed'),
        fail: (err) => (isCancel(err.errMsg) ? resolve('cancelled') : reject(new VkPayError(50000, err.errMsg ?? 'requestMerchantTransfer failed'))),
      });
    });
  }
  const bridge = opts.bridge ?? (globalThis as { WeixinJSBridge?: WeixinJSBridgeLike }).WeixinJSBridge;
  if (platform === 'web' && bridge) {
    return new Promise((resolve, reject) => {
      bridge.invoke('requestMerchantTransfer', args, (res) => {
        if (res.err_msg === 'requestMerchantTransfer:ok') resolve('confirmed');
        else if (isCancel(res.err_msg)) resolve('cancelled');
        else reject(new VkPayError(50000, res.err_msg ?? 'requestMerchantTransfer failed'));
      });
    });
  }
  // WeChat opens the confirmation only in its mini-programs and official-account pages (not in Apps or browsers)
  return Promise.reject(new VkPayError(40001, `a WeChat payout is confirmed in the WeChat mini-program or official account, not on ${platform ?? 'this platform'}`));
}

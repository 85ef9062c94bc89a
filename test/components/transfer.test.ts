/**
 * The payee's confirmation of a WeChat payout (components/vk-pay/transfer.ts): the arguments WeChat wants, the
 * mini-program and official-account paths, a payee backing out, and platforms that cannot confirm.
 */
import { describe, expect, it } from 'vitest';
import { confirmMerchantTransfer, requestMerchantTransferArgs } from '../../uni_modules/vk-pay/components/vk-pay/transfer';

const confirm = { mchId: '1900000001', appId: 'wx0123456789abcdef', package: 'ABBQO+oYAAABAAAAAAB' };

function fakeUni(platform: string, answer: { ok?: boolean; errMsg?: string }) {
  const calls: Array<Record<string, unknown>> = [];
  return {
    calls,
    uni: {
      getSystemInfoSync: () => ({ uniPlatform: platform }),
      requestMerchantTransfer(o: Record<string, unknown> & { success(r: unknown): void; fail(e: { errMsg?: string }): void }) {
        const { success, fail, ...args } = o;
        calls.push(args);
        if (answer.ok) success({ errMsg: 'requestMerchantTransfer:ok' });
        else fail({ errMsg: answer.errMsg });
      },
    },
  };
}

describe('confirmMerchantTransfer', () => {
  it('passes mchId, appId, package (and the payee openId) to requestMerchantTransfer', () => {
    expect(requestMerchantTransferArgs(confirm, 'oPayee')).toEqual({ ...confirm, openId: 'oPayee' });
    expect(() => requestMerchantTransferArgs({ ...confirm, package: '' })).toThrow(/waiting for the payee/);
  });

  it('mini-program: confirmed, or cancelled when the payee backs out, or the failure as an error', async () => {
    const ok = fakeUni('mp-weixin', { ok: true });
    expect(await confirmMerchantTransfer(confirm, { uni: ok.uni })).toBe('confirmed');
    expect(ok.calls).toEqual([confirm]);
    expect(await confirmMerchantTransfer(confirm, { uni: fakeUni('mp-weixin', { errMsg: 'requestMerchantTransfer:fail cancel' }).uni })).toBe('cancelled');
    await expect(confirmMerchantTransfer(confirm, { uni: fakeUni('mp-weixin', { errMsg: 'requestMerchantTransfer:fail system error' }).uni })).rejects.toMatchObject({ code: 50000 });
  });

  it('official account: the WeChat browser bridge', async () => {
    const seen: string[] = [];
    const bridge = { invoke: (api: string, _p: Record<string, string>, cb: (r: { err_msg?: string }) => void) => { seen.push(api); cb({ err_msg: 'requestMerchantTransfer:ok' }); } };
    expect(await confirmMerchantTransfer(confirm, { uni: fakeUni('web', {}).uni, bridge })).toBe('confirmed');
    expect(seen).toEqual(['requestMerchantTransfer']);
  });

  it('App or a plain browser cannot confirm: a clear 40001', async () => {
    await expect(confirmMerchantTransfer(confirm, { uni: fakeUni('app', {}).uni })).rejects.toMatchObject({ code: 40001 });
    await expect(confirmMerchantTransfer(confirm, { uni: fakeUni('web', {}).uni })).rejects.toMatchObject({ code: 40001 });
  });
});

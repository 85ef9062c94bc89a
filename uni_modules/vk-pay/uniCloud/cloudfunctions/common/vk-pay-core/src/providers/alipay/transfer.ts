/**
 * Alipay single transfers to an Alipay account (docs/PROTOCOLS.md section 10.2): alipay.fund.trans.uni.transfer
 * (TRANS_ACCOUNT_NO_PWD / DIRECT_TRANSFER) answers synchronously; alipay.fund.trans.common.query settles an
 * unknown answer by the same out_biz_no. Alipay's out_biz_no is vk-pay's out_bill_no.
 */
import { fenToYuan } from '../../../../../../../common/money';
import { ProviderError } from '../error-map';
import type { PaymentProvider, TransferInput, TransferResult } from '../types';
import { optionalFen } from './amounts';
import { parseAlipayTimestamp } from './signing';
import type { AlipayExec } from './transport';

const PRODUCT = { product_code: 'TRANS_ACCOUNT_NO_PWD', biz_scene: 'DIRECT_TRANSFER' } as const;

const STATES: Record<string, TransferResult['state']> = {
  SUCCESS: 'succeeded', DEALING: 'accepted', WAIT_PAY: 'accepted', INIT: 'accepted', FAIL: 'failed', REFUND: 'failed',
};

function result(d: Record<string, any>, outBillNo: string, now: () => number): TransferResult {
  const word = String(d.status ?? '');
  const out: TransferResult = { state: STATES[word] ?? 'accepted', out_bill_no: String(d.out_biz_no ?? outBillNo), provider_state: word || undefined };
  if (d.order_id) out.transfer_bill_no = String(d.order_id);
  const amount = optionalFen(d.trans_amount, 'trans_amount');
  if (amount !== undefined) out.amount = amount;
  if (d.fail_reason || d.error_code) out.fail_reason = String(d.fail_reason ?? d.error_code).slice(0, 120);
  if (word === 'REFUND') out.fail_reason ??= 'REFUND: returned by the bank';
  if (word === 'SUCCESS') out.success_at = parseAlipayTimestamp(d.pay_date ?? d.trans_date) ?? now();
  return out;
}

export function createAlipayTransfers(exec: AlipayExec, now: () => number): Required<Pick<PaymentProvider, 'transfer' | 'queryTransfer'>> {
  return {
    async transfer(input: TransferInput) {
      const payee: Record<string, string> = { identity: input.payee.identity, identity_type: input.payee.identity_type };
      if (input.payee.name) payee.name = input.payee.name;
      const d = await exec('alipay.fund.trans.uni.transfer', {
        out_biz_no: input.out_bill_no, trans_amount: fenToYuan(input.amount), ...PRODUCT,
        order_title: (input.title ?? 'vk-pay').slice(0, 64), remark: input.remark.slice(0, 200), payee_info: payee,
      });
      return result(d, input.out_bill_no, now);
    },

    async queryTransfer(outBillNo: string) {
      try {
        return result(await exec('alipay.fund.trans.common.query', { out_biz_no: outBillNo, ...PRODUCT }), outBillNo, now);
      } catch (err) {
        // only a signed answer proves the number was never received
        if (err instanceof ProviderError && err.verified && err.providerCode === 'ORDER_NOT_EXIST') return { state: 'not_found', out_bill_no: outBillNo, provider_state: 'ORDER_NOT_EXIST' };
        throw err;
      }
    },
  };
}

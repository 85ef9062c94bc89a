/**
 * A payout gateway in process for the transfer service's unit tests: it keeps bills by out_bill_no and counts
 * every payout it makes, so a test can prove "one payout" from the money side. It can be made careless (pays
 * every call, no idempotency of its own) to prove the core's own guarantee, and has the faults the tests need:
 * a lost answer after paying (timeout), a call that never returns (the caller crashed), a definite refusal.
 * The real gateways' behaviour over HTTP is exercised through the sandbox (test/sandbox, test/e2e).
 */
import { GatewayNetworkError } from '../../../uni_modules/vk-pay/common/errors';
import { ProviderError } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/error-map';
import type { Channel, PaymentProvider, TransferInput, TransferResult } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';

interface Bill { input: TransferInput; state: TransferResult['state']; transfer_bill_no: string }

export interface TransferGateway {
  provider: PaymentProvider;
  /** out_bill_no of every payout made, once per payout */
  payouts: string[];
  transferCalls: number;
  bills: Map<string, Bill>;
  faults: { loseAnswer?: boolean; hang?: boolean; refuse?: string };
  /** the payee confirms in WeChat */
  confirm(out_bill_no: string): void;
}

export function transferGateway(channel: Channel, opts: { idempotent?: boolean; waitUser?: boolean } = {}): TransferGateway {
  const idempotent = opts.idempotent ?? true;
  const bills = new Map<string, Bill>();
  const g: TransferGateway = { payouts: [], transferCalls: 0, bills, faults: {}, provider: undefined as unknown as PaymentProvider, confirm };
  let seq = 0;
  const view = (no: string, b: Bill): TransferResult => ({
    state: b.state, out_bill_no: no, transfer_bill_no: b.transfer_bill_no, amount: b.input.amount, provider_state: b.state.toUpperCase(),
    ...(b.state === 'waiting_user' ? { confirm: { mchId: '1900000001', appId: 'wxtest', package: `pkg_${no}` } } : {}),
  });
  function pay(no: string, b: Bill) { b.state = 'succeeded'; g.payouts.push(no); }
  function confirm(no: string) {
    const b = bills.get(no);
    if (b?.state === 'waiting_user') pay(no, b);
  }
  const unused = async (): Promise<never> => { throw new Error('not part of the payout tests'); };
  g.provider = {
    channel, provider: channel === 'alipay' ? 'alipay' : 'wxpay',
    createOrder: unused, queryOrder: unused, closeOrder: unused, refund: unused, queryRefund: unused, verifyNotification: unused,
    notifyReply: () => ({ statusCode: 200, headers: {}, body: '' }),
    async transfer(input) {
      g.transferCalls++;
      await new Promise((r) => setTimeout(r, 2));
      if (g.faults.refuse) throw new ProviderError(40001, channel, g.faults.refuse, 'refused by the test gateway', 400);
      let b = bills.get(input.out_bill_no);
      if (!b || !idempotent) {
        b = { input, state: 'accepted', transfer_bill_no: `TB${++seq}` };
        bills.set(input.out_bill_no, b);
        if (opts.waitUser) b.state = 'waiting_user';
        else pay(input.out_bill_no, b);
      }
      if (g.faults.hang) return new Promise<never>(() => {});
      if (g.faults.loseAnswer) throw new GatewayNetworkError('timeout (test gateway lost the answer)');
      return view(input.out_bill_no, b);
    },
    async queryTransfer(no) {
      const b = bills.get(no);
      return b ? view(no, b) : { state: 'not_found', out_bill_no: no };
    },
    async cancelTransfer(no) {
      const b = bills.get(no);
      if (!b) throw new ProviderError(40005, channel, 'NOT_FOUND', 'no such bill', 404);
      if (b.state === 'waiting_user' || b.state === 'accepted') b.state = 'cancelled';
      return view(no, b);
    },
  };
  return g;
}

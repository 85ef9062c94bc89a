/**
 * The shapes the client exchanges with the cloud object `vk-pay-co` (docs/CONTRACTS.md section 6). `ClientPayment`
 * and the provider/pay-type names are shared with the core through `common/`, inside this package.
 */
import type { ClientPayment, PayType, ProviderName } from '../../common/payment-types';
import type { OrderStatus } from '../../common/status';

export type { ClientPayment, PayType, ProviderName, OrderStatus };

export interface CreatePaymentParams {
  provider: ProviderName;
  pay_type: PayType;
  /** order type from the config: recharge, goods, vip, custom */
  type: string;
  /** integer fen; honoured by the server only where the order type allows a client amount */
  amount?: number;
  goods_id?: string;
  subject?: string;
  openid?: string;
  out_trade_no?: string;
  /** H5 payment pages send the person back here */
  return_url?: string;
}

export interface CreatePaymentResult {
  out_trade_no: string;
  /** integer fen, as decided by the server */
  amount: number;
  /** ms epoch */
  expires_at: number;
  payment: ClientPayment;
}

export interface QueryPaymentResult {
  out_trade_no: string;
  status: OrderStatus;
  amount: number;
  paid_at?: number;
  refunded_amount: number;
}

/** What `fail` carries and the modal shows: the error table's message and action for the code. */
export interface PayFailure {
  /** a table code (common/errors.ts) when reason is 'error' */
  code?: number;
  msg: string;
  action: string;
  /** the server's own message, when it said more than the table */
  detail?: string;
  reason: 'error' | 'closed' | 'timeout';
  out_trade_no?: string;
}

/** Parameter validation for the cloud-object methods: zod schemas, every bad field named in one ParamError (40001). */
import { z, type ZodTypeAny } from 'zod';
import { ParamError } from '../../../../../../common/errors';
import { isProviderName, PROVIDER_NAMES } from '../providers/registry';

export function parseParams<S extends ZodTypeAny>(schema: S, params: unknown): z.output<S> {
  const r = schema.safeParse(params ?? {});
  if (!r.success) {
    throw new ParamError(r.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; '));
  }
  return r.data;
}

export const outTradeNo = z.string().trim().min(6, 'out_trade_no must be at least 6 characters').max(32).regex(/^[A-Za-z0-9_-]+$/, 'out_trade_no: letters, digits, _ and - only');
export const outRefundNo = z.string().trim().min(6).max(64).regex(/^[A-Za-z0-9_-]+$/, 'out_refund_no: letters, digits, _ and - only');
/** a provider name of the registry (providers/registry.ts) */
export const providerName = z.string().refine(isProviderName, { message: `provider must be one of ${PROVIDER_NAMES.join(', ')}` });
/** integer fen > 0 */
export const fen = z.number({ invalid_type_error: 'amount must be a number in fen' }).int('amount must be an integer number of fen').positive('amount must be > 0');

export const createPaymentParams = z.object({
  provider: providerName,
  pay_type: z.string().min(1),
  type: z.string().min(1).max(64),
  amount: fen.optional(),
  goods_id: z.string().trim().min(1).max(64).optional(),
  subject: z.string().trim().min(2, 'subject must be at least 2 characters').max(128).optional(),
  openid: z.string().trim().min(1).max(128).optional(),
  out_trade_no: outTradeNo.optional(),
  return_url: z.string().url().optional(),
  /** the payer's payment code, for scanned pay types (`codepay`); its format is the provider's to check */
  auth_code: z.string().trim().regex(/^\d{16,24}$/, 'auth_code must be the 16-24 digits of a payment code').optional(),
});
export type CreatePaymentParams = z.output<typeof createPaymentParams>;

export const queryPaymentParams = z.object({ out_trade_no: outTradeNo, await_notify: z.boolean().optional() });
export const closeOrderParams = z.object({ out_trade_no: outTradeNo });
export const refundParams = z.object({
  out_trade_no: outTradeNo,
  amount: fen,
  reason: z.string().trim().max(80).optional(),
  out_refund_no: outRefundNo.optional(),
});
export const queryRefundParams = z.object({ out_refund_no: outRefundNo });
export const replayHooksParams = z.object({ out_trade_no: outTradeNo, include_done: z.boolean().optional() });

/**
 * Coins a payer bought through WeChat virtual payment's coin mode, for the merchant's own server code
 * (`require('vk-pay-core').vkPayVirtual()`): the user's balance, spending coins for an order of the business, and
 * giving them back. Like payouts, these are not client methods: the code calling them decides what the coins buy.
 *
 * The caller names the user (`user_id`); the openid and the session key come from what getOpenid stored for that
 * user and the mini program (services/payer-id.ts), never from the caller. A user without a stored session, or
 * whose session WeChat no longer holds (268490009), is refused with 40009: the user signs in again (uni.login ->
 * getOpenid). Bad input is refused with its table code and logged to payment_errors; the session key never is.
 */
import { z } from 'zod';
import { ParamError, PermissionError, toVkPayError } from '../../../../../../common/errors';
import { writePaymentError } from '../logging/logs';
import { definitionOf, PROVIDER_DEFINITIONS } from '../providers/registry';
import type { Channel, CoinBalance, CoinPayResult, CoinUser, PaymentProvider } from '../providers/types';
import { channelOf, isChannelConfigured, type CoreContext } from './context';
import { findPayerId, sessionKeyOf } from './payer-id';
import { parseParams } from './validate';

/** WeChat's own sample request uses the loopback address when the caller has no user IP to give. */
const DEFAULT_USER_IP = '127.0.0.1';

const userParams = z.object({
  user_id: z.string().trim().min(1).max(128),
  /** the user's IP as the business saw it (WeChat uses it for risk control) */
  user_ip: z.string().trim().min(2).max(45).optional(),
  /** the provider name; default: the one configured channel that keeps coins */
  provider: z.string().trim().min(1).max(32).optional(),
});
const coins = z.number().int().positive().max(1_000_000_000);
const orderId = z.string().trim().min(8).max(32);
const payItem = z.object({ productid: z.string().min(1).max(64), unit_price: z.number().int().nonnegative(), quantity: z.number().int().positive() }).strict();

const payParams = userParams.extend({
  order_id: orderId,
  amount: coins,
  /** what the coins buy, on the user's coin statement: `[{productid, unit_price, quantity}]` or that JSON text */
  payitem: z.union([z.array(payItem).min(1).max(50), z.string().min(2).max(2048)]),
  remark: z.string().max(256).default(''),
}).strict();
const cancelParams = userParams.extend({ pay_order_id: orderId, order_id: orderId, amount: coins }).strict();

export interface VirtualCoinApi {
  queryUserBalance(params: { user_id: string; user_ip?: string }): Promise<CoinBalance>;
  currencyPay(params: Record<string, unknown>): Promise<CoinPayResult>;
  cancelCurrencyPay(params: Record<string, unknown>): Promise<{ order_id: string }>;
}

/** The configured channel that keeps coins: the named provider's, or the only one configured. */
function coinChannel(ctx: CoreContext, provider: string | undefined): Channel {
  if (provider !== undefined) {
    const channel = channelOf(ctx.config, provider);
    if (!isChannelConfigured(ctx.config, channel)) throw new ParamError(`provider ${provider} is not configured`);
    if (!definitionOf(channel).coinPayType) throw new ParamError(`${provider} keeps no coins`);
    return channel;
  }
  const keeping = PROVIDER_DEFINITIONS.filter((d) => d.coinPayType && isChannelConfigured(ctx.config, d.channel));
  if (keeping.length !== 1) throw new ParamError(keeping.length ? 'several providers keep coins: name one (provider)' : 'no configured provider keeps coins');
  return keeping[0].channel;
}

/** The provider and the user's openid, session key and IP for a coin call. */
async function coinUser(ctx: CoreContext, p: z.output<typeof userParams>): Promise<{ provider: PaymentProvider; user: CoinUser }> {
  const channel = coinChannel(ctx, p.provider);
  const definition = definitionOf(channel);
  const provider = ctx.provider(channel);
  if (!definition.payerAppId || !definition.coinPayType || !provider.coinBalance) throw new ParamError(`${definition.provider} keeps no coins`);
  const appId = definition.payerAppId(ctx.config.providers[channel], definition.coinPayType);
  const [payer, session_key] = await Promise.all([findPayerId(ctx, p.user_id, appId), sessionKeyOf(ctx, p.user_id, appId)]);
  if (!payer || !session_key) throw new PermissionError(`user ${p.user_id} has no mini-program session for app ${appId}: sign in again (uni.login, then getOpenid)`);
  return { provider, user: { openid: payer.openid, session_key, user_ip: p.user_ip ?? DEFAULT_USER_IP } };
}

export function createVirtualCoinApi(ctx: CoreContext): VirtualCoinApi {
  const guarded = <R>(action: string, fn: (raw: Record<string, unknown>) => Promise<R>) => async (raw: Record<string, unknown>): Promise<R> => {
    try {
      return await fn(raw);
    } catch (err) {
      const e = toVkPayError(err);
      const user_id = raw && typeof raw.user_id === 'string' ? raw.user_id.slice(0, 128) : undefined;
      await writePaymentError(ctx, { action: `server.${action}`, error: err, input: raw, user_id });
      throw e;
    }
  };
  // WeChat's word for an expired session is its own code; the person's action is to sign in again
  const sessionAware = (err: unknown): never => {
    const e = toVkPayError(err);
    if (e.code === 40009) throw new PermissionError(`the user's mini-program session has expired at WeChat: sign in again (uni.login, then getOpenid) - ${e.detail ?? ''}`.trim());
    throw e;
  };
  return {
    queryUserBalance: guarded('queryUserBalance', async (raw) => {
      const p = parseParams(userParams, raw);
      const { provider, user } = await coinUser(ctx, p);
      return provider.coinBalance!(user).catch(sessionAware);
    }),
    currencyPay: guarded('currencyPay', async (raw) => {
      const p = parseParams(payParams, raw);
      const { provider, user } = await coinUser(ctx, p);
      const payitem = typeof p.payitem === 'string' ? p.payitem : JSON.stringify(p.payitem);
      return provider.payWithCoins!({ ...user, order_id: p.order_id, amount: p.amount, payitem, remark: p.remark }).catch(sessionAware);
    }),
    cancelCurrencyPay: guarded('cancelCurrencyPay', async (raw) => {
      const p = parseParams(cancelParams, raw);
      const { provider, user } = await coinUser(ctx, p);
      return provider.cancelCoinPay!({ ...user, pay_order_id: p.pay_order_id, order_id: p.order_id, amount: p.amount }).catch(sessionAware);
    }),
  };
}

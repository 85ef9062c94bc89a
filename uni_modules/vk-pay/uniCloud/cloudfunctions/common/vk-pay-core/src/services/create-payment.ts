/**
 * createPayment: validate -> decide the amount on the server -> return the same order for the same input within
 * 5 minutes while it is still payable (pending, not about to expire) -> per-user rate limit -> insert the order
 * (unique out_trade_no, retried on a collision) -> create it at the provider with time_expire -> store what the
 * client needs to pay. The order exists before the provider knows it, so a notification always finds its order.
 *
 * A twin that was paid, closed or has expired is never handed back: a second recharge of the same amount is a
 * second purchase, and answering it with the first (paid) order would show "paid" for money never sent.
 */
import { ParamError, VkPayError, toVkPayError } from '../../../../../../common/errors';
import { isDuplicateKeyError } from '../platform/database';
import { ProviderError } from '../providers/error-map';
import { definitionOf, payTypeSpec } from '../providers/registry';
import { settleScanned } from './codepay';
import type { ClientPayment, PayType } from '../providers/types';
import { writePaymentLog } from '../logging/logs';
import { protectUserInfo } from '../logging/user-info-crypto';
import { DEDUPE_WINDOW_MS, dedupeKeyOf, fingerprintOf } from '../orders/fingerprint';
import { makeOrderNo, orderChannelOf } from '../orders/order-no';
import { admitRequest } from '../orders/rate-limit';
import { COLLECTIONS } from '../state/collections';
import type { OrderDoc } from '../state/order';
import { transitionOrder } from '../state/transition';
import type { Identity } from '../auth/identity';
import { channelForPayType, isChannelConfigured, notifyUrlFor, type CallerMeta, type CoreContext } from './context';
import { resolveAmount } from './resolve-amount';
import { resolvePayerId, sessionKeyOf } from './payer-id';
import { chooseMerchant, DEFAULT_MERCHANT, merchantSection } from '../config/merchants';
import { createPaymentParams, parseParams } from './validate';

export interface CreatePaymentResult {
  out_trade_no: string; amount: number; expires_at: number; payment: ClientPayment; reused?: boolean;
  /** scanned codes: the order's status once settled (paid, or closed when the payer never confirmed) */
  status?: string;
  /** hooks the payment made owed (scanned codes are paid within the call); run by the cloud object, not returned */
  hookKeys?: string[];
}

const MAX_NUMBER_ATTEMPTS = 5;
/** How many finished twins one 5-minute bucket may hold before a create gives up (far above any rate limit). */
const MAX_GENERATIONS = 200;
/** A twin is handed back only with at least this much time left to pay (else the person meets an expired cashier). */
export const REUSE_MARGIN_MS = 60_000;

/** Only a pending order with time left to pay may answer a repeated create. */
export function isReusable(order: OrderDoc, now: number): boolean {
  return order.status === 'pending' && order.expires_at > now + REUSE_MARGIN_MS;
}

/**
 * The dedupe key of the `generation`-th order with this input in this bucket. The key is unique, so the first
 * create of a bucket holds generation 0; once that order is paid, closed or expired, the next identical create
 * takes generation 1, and two of those racing still make one order between them.
 */
export function dedupeKeyGeneration(key: string, generation: number): string {
  return generation === 0 ? key : `${key}:g${generation}`;
}

export async function createPayment(ctx: CoreContext, who: Identity, rawParams: unknown, meta: CallerMeta = {}): Promise<CreatePaymentResult> {
  const p = parseParams(createPaymentParams, rawParams);
  if (p.amount !== undefined && p.amount > ctx.config.maxAmount) throw new ParamError(`amount must be at most ${ctx.config.maxAmount} fen`);
  const channel = channelForPayType(ctx.config, p.provider, p.pay_type);
  if (!isChannelConfigured(ctx.config, channel)) throw new ParamError(`provider ${p.provider} is not configured`);
  const definition = definitionOf(channel);
  const payTypes = definition.payTypes.map((t) => t.name);
  if (!payTypes.includes(p.pay_type)) throw new ParamError(`pay_type must be one of ${payTypes.join(', ')} for ${p.provider}`);
  const scanned = Boolean(payTypeSpec(channel, p.pay_type)?.scanned);
  if (scanned && !p.auth_code) throw new ParamError(`auth_code (the payer's payment code) is required for pay_type ${p.pay_type}`);
  if (!scanned && p.auth_code) throw new ParamError(`auth_code goes with a scanned pay type only, not ${p.pay_type}`);
  const resolved = await resolveAmount(ctx.config, { type: p.type, amount: p.amount, goods_id: p.goods_id, subject: p.subject, user_id: who.uid });
  const goods = resolved.goods_id && resolved.item ? { goods_id: resolved.goods_id, item: resolved.item } : undefined;
  // the merchant this order goes to (config/merchants.ts): its app is the one the payer's openid must be under
  const merchant = chooseMerchant(ctx.config, channel, { type: p.type, goods_id: resolved.goods_id, user_id: who.uid, amount: resolved.amount });
  // mp/jsapi pay as the user's own openid for the pay type's app (services/payer-id.ts), never a stranger's
  const openid = await resolvePayerId(ctx, who, p.provider, p.pay_type, p.openid, merchant);
  definition.checkCreate?.({ pay_type: p.pay_type, auth_code: p.auth_code, type: p.type, openid, goods, section: ctx.config.providers[channel] });
  const productId = goods && definition.productIdOf ? definition.productIdOf(goods.item) : undefined;
  // pay types signed with the payer's session key (WeChat virtual payment) need one stored by getOpenid for this app
  const session_key = definition.payTypes.find((t) => t.name === p.pay_type)?.signsWithSessionKey && definition.payerAppId
    ? await sessionKeyOf(ctx, who.uid, definition.payerAppId(merchantSection(ctx.config, channel, merchant) ?? ctx.config.providers[channel], p.pay_type))
    : undefined;
  if (definition.payTypes.find((t) => t.name === p.pay_type)?.signsWithSessionKey && !session_key) {
    throw new ParamError(`no ${p.provider} session for this user: call getOpenid with a fresh login code first`);
  }
  if (definition.orderBinding === 'product' && !productId) throw new ParamError(`${p.provider} sells catalog goods that name its product id: ${p.type}${p.goods_id ? ` ${p.goods_id}` : ''} has none`);

  const now = ctx.now();
  const _ = ctx.db.command;
  const fingerprint = fingerprintOf({ user_id: who.uid, provider: p.provider, pay_type: p.pay_type, type: p.type, amount: resolved.amount, goods_id: resolved.goods_id, subject: resolved.subject, openid, auth_code: p.auth_code });
  if (!p.out_trade_no) {
    const existing = await ctx.dao.findByWhereJson<OrderDoc>({
      dbName: COLLECTIONS.orders,
      whereJson: { user_id: who.uid, fingerprint, status: 'pending', create_date: _.gte(now - DEDUPE_WINDOW_MS), expires_at: _.gt(now + REUSE_MARGIN_MS) },
      sortArr: [{ name: 'create_date', type: 'desc' }],
    });
    if (existing?.payment && isReusable(existing, now)) return reuse(existing);
  }

  await admitRequest(ctx, { user_id: who.uid, perMinute: ctx.config.rateLimit.perMinute, scope: 'create' });

  // a scanned code is settled within the codepay timeout; the timer reverses one left open past it (a dead instance)
  const expires_at = now + (scanned ? ctx.config.codepay.timeoutMs + 30_000 : ctx.config.ttlMs);
  const base: Omit<OrderDoc, 'out_trade_no'> = {
    user_id: who.uid, type: p.type, provider: p.provider, channel, pay_type: p.pay_type as PayType,
    amount: resolved.amount, subject: resolved.subject, status: 'pending', create_date: now, update_date: now, expires_at,
    fingerprint, dedupe_key: p.out_trade_no ? `${fingerprint}:${p.out_trade_no}` : dedupeKeyOf(fingerprint, now),
    refunded_amount: 0, refund_in_flight: 0, refundable_remaining: 0, refunds_reserved: [], refunds_done: [], refunds_released: [],
    history: [],
  };
  if (resolved.goods_id) base.goods_id = resolved.goods_id;
  if (productId) base.provider_product_id = productId;
  if (openid) base.openid = openid;
  if (merchant !== DEFAULT_MERCHANT) base.merchant = merchant;
  if (meta.platform) base.platform = meta.platform;
  if (meta.ip) base.client_ip = meta.ip;
  const userInfo = protectUserInfo(who.userInfo, ctx.config.userInfoKey);
  if (userInfo !== undefined) base.user_info = userInfo;

  const out_trade_no = await insertOrder(ctx, base, p.out_trade_no, who, meta);
  if (typeof out_trade_no !== 'string') return out_trade_no;

  const provider = ctx.provider(channel, merchant);
  const started = ctx.now();
  try {
    const created = await provider.createOrder({
      out_trade_no, amount: resolved.amount, subject: resolved.subject, pay_type: p.pay_type as PayType,
      notify_url: notifyUrlFor(ctx.config, channel), expires_at, openid, client_ip: meta.ip,
      return_url: p.return_url ?? ctx.config.returnUrl, product_id: productId, auth_code: p.auth_code, catalog_item: goods?.item, session_key,
    });
    const set: Record<string, unknown> = { payment: created.payment, update_date: ctx.now() };
    if (created.provider_order_id) set.provider_order_id = created.provider_order_id;
    await ctx.dao.update({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no }, dataJson: set });
    await writePaymentLog(ctx, {
      type: 'create', status: 'success', out_trade_no, provider: p.provider, amount: resolved.amount, user_id: who.uid,
      ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started, detail: { pay_type: p.pay_type, type: p.type },
    });
    if (scanned) return await settleScanned(ctx, out_trade_no, started);
    return { out_trade_no, amount: resolved.amount, expires_at, payment: created.payment };
  } catch (err) {
    const e = toVkPayError(err);
    // A definite refusal means the provider holds no payable order: close ours (for a scanned code, with the
    // provider's reason in the payer's words: "refresh the payment code"). An unknown outcome (network, busy)
    // leaves it pending, since the provider may have taken it after all: a scanned code is asked at once.
    const definite = !e.retryable && e.code !== 50000;
    if (definite) {
      const reason = scanned && err instanceof ProviderError ? { provider_state: err.providerCode, provider_reason: err.providerMessage.slice(0, 120) } : {};
      await transitionOrder(ctx, { out_trade_no, event: 'close', source: 'create_failed', set: { closed_at: ctx.now(), close_reason: 'create_failed', ...reason } });
    } else if (scanned) {
      await writePaymentLog(ctx, { type: 'create', status: 'unknown', out_trade_no, provider: p.provider, amount: resolved.amount, user_id: who.uid, error_info: `${e.code} ${e.message}`, response_time: ctx.now() - started });
      return settleScanned(ctx, out_trade_no, started);
    }
    await writePaymentLog(ctx, {
      type: 'create', status: 'fail', out_trade_no, provider: p.provider, amount: resolved.amount, user_id: who.uid,
      error_info: `${e.code} ${e.message}`, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started,
    });
    throw e;
  }
}

function reuse(order: OrderDoc): CreatePaymentResult {
  return { out_trade_no: order.out_trade_no, amount: order.amount, expires_at: order.expires_at, payment: order.payment as ClientPayment, reused: true };
}

/**
 * Inserts the order under a fresh number, retrying on a duplicate key. A duplicate on `dedupe_key` means the same
 * person's identical request exists in this bucket: while that twin is payable (or still being created) wait
 * briefly for it and return it; once it is paid, closed or expired, take the next generation of the key.
 */
async function insertOrder(ctx: CoreContext, base: Omit<OrderDoc, 'out_trade_no'>, given: string | undefined, who: Identity, meta: CallerMeta): Promise<string | CreatePaymentResult> {
  let numberAttempts = 0;
  let generation = 0;
  while (numberAttempts < MAX_NUMBER_ATTEMPTS && generation < MAX_GENERATIONS) {
    const out_trade_no = given ?? makeOrderNo({ now: base.create_date, channel: orderChannelOf(meta.platform, who.isAdmin), uid: who.uid });
    const dedupe_key = dedupeKeyGeneration(base.dedupe_key, generation);
    try {
      await ctx.dao.add({ dbName: COLLECTIONS.orders, dataJson: { ...base, dedupe_key, out_trade_no }, cancelAddTime: true });
      return out_trade_no;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const twin = await ctx.dao.findByWhereJson<OrderDoc>({ dbName: COLLECTIONS.orders, whereJson: { dedupe_key } });
      if (twin) {
        if (twin.status === 'pending' && twin.expires_at > ctx.now()) {
          const reused = await waitForPayment(ctx, twin);
          if (reused) return reused;
        }
        if (given) throw givenNumberTaken(twin, given);
        generation++;
        continue;
      }
      if (given) {
        const taken = await ctx.dao.findByWhereJson<OrderDoc>({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no: given } });
        if (taken) throw givenNumberTaken(taken, given);
        throw new ParamError(`out_trade_no ${given} is already used`);
      }
      numberAttempts++;
    }
  }
  throw new VkPayError(40010, 'could not allocate an order number');
}

function givenNumberTaken(order: OrderDoc, given: string): VkPayError {
  if (order.status !== 'pending' && order.status !== 'closed') return new VkPayError(40006, `order ${given}`);
  return new ParamError(`out_trade_no ${given} is already used`);
}

/** The twin being created concurrently, once it carries its payment; null when it stopped being payable. */
async function waitForPayment(ctx: CoreContext, twin: OrderDoc): Promise<CreatePaymentResult | null> {
  for (let i = 0; i < 20; i++) {
    const fresh = await ctx.dao.findByWhereJson<OrderDoc>({ dbName: COLLECTIONS.orders, whereJson: { out_trade_no: twin.out_trade_no } });
    if (!fresh || fresh.status !== 'pending' || fresh.expires_at <= ctx.now()) return null;
    if (fresh.payment) return isReusable(fresh, ctx.now()) ? reuse(fresh) : null;
    await ctx.sleep(150);
  }
  throw new VkPayError(40010, 'the same order is being created; retry');
}

/**
 * Provider notifications, for every channel (docs/EXACTLY-ONCE.md, docs/NOTIFY.md):
 *   verify (signature + timestamp window) BEFORE any database access -> bounds -> read -> apply in one move ->
 *   the records of it issued together with the log -> reply.
 * Replies, by case:
 *   - not verifiable (bad or missing signature, malformed, too large, unknown route): the channel's retry reply,
 *     counted per source and minute, never stored whole (logging/rejections.ts);
 *   - verified but never applicable (fields out of bounds, unreadable after verification): acknowledged, one
 *     error row and one alert - the provider would only repeat it for a day;
 *   - verified, for an order we do not have: acknowledged, kept once as an orphan payment, alerted;
 *   - verified and applied, or a repeat of one applied before: acknowledged;
 *   - verified, refused by a check that may pass later (merchant, amount) or failing on the way (database
 *     unreachable, a refund the provider does not confirm yet): the retry reply, one error row; the provider
 *     delivers again and the idempotent steps finish the work. Never a false success.
 */
import { createHash } from 'node:crypto';
import { OrderNotFoundError, ParamError, toVkPayError, VkPayError } from '../../../../../../common/errors';
import type { Channel, IncomingNotification, NotificationOutcome, NotifyReply, PaymentProvider } from '../providers/types';
import { writePaymentError, writePaymentLog } from '../logging/logs';
import { countRejection } from '../logging/rejections';
import { hookKey, raiseAlert, type HookRef } from '../outbox';
import { findOrder } from '../state/refund-ledger';
import type { OrderDoc } from '../state/order';
import { transitionOrder } from '../state/transition';
import { closeFieldsFromAnswer } from './close-reason';
import { applyPaid, providerOf, recordNotification, recordUnappliedTransaction } from './apply-payment';
import { adoptProviderRefund, applyRefundFact, findRefund, type RefundRecord } from './apply-refund';
import { findDefinition } from '../providers/registry';
import { checkOrderMerchant, verifyForMerchant } from './bind';
import type { CallerMeta, CoreContext } from './context';
import { isChannelConfigured } from './context';
import { MAX_NOTIFY_BODY_CHARS, outOfBounds } from './notification-bounds';
import { resolveOrderRef } from './order-ref';
import { applyRenewal } from './apply-renewal';
import { createWriteBatch, type WriteBatch } from './write-batch';

export interface NotifyHandling {
  reply: NotifyReply;
  /** the provider was told it arrived (it stops resending) */
  ok: boolean;
  /** what happened: pay, duplicate, orphan, refused, unverified, fail, ... (for logs and tests) */
  result: string;
  outcome?: NotificationOutcome;
  /** hooks this delivery made owed and holds the claim of: the caller runs them right away */
  hooks: HookRef[];
  hookKeys: string[];
}

function plainReply(statusCode: number, body: string): NotifyReply {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

const done = (reply: NotifyReply, ok: boolean, result: string, outcome?: NotificationOutcome, hooks: HookRef[] = []): NotifyHandling =>
  ({ reply, ok, result, outcome, hooks, hookKeys: hooks.map(hookKey) });

export async function handleNotification(ctx: CoreContext, channel: Channel, req: IncomingNotification, meta: CallerMeta = {}): Promise<NotifyHandling> {
  const started = ctx.now();
  const body = typeof req?.rawBody === 'string' ? req.rawBody : '';
  const request: IncomingNotification = { headers: req?.headers ?? {}, rawBody: body, query: req?.query ?? {} };
  const definition = findDefinition(channel);
  if (!definition?.notifications || !isChannelConfigured(ctx.config, channel)) {
    const source = definition ? channel : 'unknown';
    await countRejection(ctx, { source, reason: 'unknown_channel', error: new ParamError(`channel ${String(channel).slice(0, 32)} is not configured`), req: request, ip: meta.ip });
    return done(plainReply(404, 'unknown channel'), false, 'unknown_channel');
  }
  const provider = ctx.provider(channel);
  if (body.length > MAX_NOTIFY_BODY_CHARS) {
    await countRejection(ctx, { source: channel, reason: 'too_large', error: new ParamError(`notification body of ${body.length} characters`), req: request, ip: meta.ip });
    return done(provider.notifyReply(false), false, 'unverified');
  }

  // 1. Verify on the raw body. Nothing has touched the database yet; an unverifiable request only counts.
  let outcome: NotificationOutcome;
  let binding: Binding;
  try {
    const verified = await verifyForMerchant(ctx, channel, (p) => p.verifyNotification(request));
    outcome = verified.message;
    binding = { merchant: verified.merchant, refused: verified.refused };
  } catch (err) {
    if (toVkPayError(err).code === 40002) {
      await countRejection(ctx, { source: channel, reason: 'signature', error: err, req: request, ip: meta.ip });
      return done(provider.notifyReply(false), false, 'unverified');
    }
    // Proven to come from the provider, yet unreadable: no delivery will ever read better.
    return refusePermanently(ctx, provider, channel, err, request, meta, started);
  }
  // A provider that cannot name our order number names the order by its ids: find it (reads only, verified ids).
  if (outcome.order_ref && !outcome.out_trade_no) outcome = await resolveOrderRef(ctx, outcome);
  const bad = outcome.kind !== 'ignored' && !definition.notifications.kinds.includes(outcome.kind)
    ? `${channel} notifications do not say ${String(outcome.kind).slice(0, 32)}`
    : outOfBounds(outcome, body.length);
  if (bad) return refusePermanently(ctx, provider, channel, new ParamError(`verified notification refused: ${bad}`), request, meta, started, outcome);

  const batch = createWriteBatch();
  try {
    const handled = await applyOutcome(ctx, outcome, batch, binding);
    batch.keep(() => writePaymentLog(ctx, {
      type: 'notify', status: handled.result, out_trade_no: outcome.out_trade_no, provider: provider.provider,
      amount: 'amount' in outcome ? outcome.amount : undefined, ip: meta.ip, user_agent: meta.user_agent,
      response_time: ctx.now() - started, detail: { channel, kind: outcome.kind, event_id: outcome.event_id },
    }));
    await batch.flush();
    return done(provider.notifyReply(true), true, handled.result, outcome, handled.hooks);
  } catch (err) {
    const e = toVkPayError(err);
    await Promise.all([
      writePaymentError(ctx, { action: 'notify', error: err, input: { channel, kind: outcome.kind, out_trade_no: outcome.out_trade_no, event_id: outcome.event_id }, out_trade_no: outcome.out_trade_no }),
      writePaymentLog(ctx, {
        type: 'notify', status: 'fail', out_trade_no: outcome.out_trade_no, provider: provider.provider,
        error_info: `${e.code} ${e.message}`.slice(0, 500), ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started,
      }),
    ]);
    return done(provider.notifyReply(false), false, 'fail', outcome);
  }
}

/** Acknowledged so the provider stops, recorded once (error row + alert keyed by the body), never applied. */
async function refusePermanently(
  ctx: CoreContext, provider: PaymentProvider, channel: Channel, err: unknown, req: IncomingNotification, meta: CallerMeta, started: number, outcome?: NotificationOutcome,
): Promise<NotifyHandling> {
  const e = toVkPayError(err);
  const digest = createHash('sha256').update(req.rawBody).digest('hex').slice(0, 24);
  const no = typeof outcome?.out_trade_no === 'string' ? outcome.out_trade_no.slice(0, 64) : undefined;
  await Promise.all([
    writePaymentError(ctx, { action: 'notify', error: err, input: { channel, kind: outcome?.kind, out_trade_no: no, body_length: req.rawBody.length, body_sha256: digest } }),
    raiseAlert(ctx, { kind: 'notify_refused', dedupe_key: `notify_refused:${channel}:${digest}`, message: `a verified ${channel} notification cannot be applied and was acknowledged without effect: ${e.message.slice(0, 200)}` }),
    writePaymentLog(ctx, { type: 'notify', status: 'refused', out_trade_no: no, provider: provider.provider, error_info: `${e.code} ${e.message}`.slice(0, 500), ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started }),
  ]);
  return done(provider.notifyReply(true), true, 'refused', outcome);
}

interface Applied { result: string; hooks: HookRef[] }

/**
 * The merchant whose keys verified a notification, and the outcome of checking the ids the notification names
 * against that merchant's (bind.ts checkMerchant) - made ONCE, while verifying: `refused` holds the bind error
 * of a notification that names none of the merchants that verified it, thrown when it is applied.
 */
interface Binding { merchant: string; refused?: unknown }

/** The verified merchant, once the notification is known to name it (throws the bind error otherwise). */
function boundMerchant(binding: Binding): string {
  if (binding.refused !== undefined) throw binding.refused;
  return binding.merchant;
}

async function applyOutcome(ctx: CoreContext, outcome: NotificationOutcome, batch: WriteBatch, binding: Binding): Promise<Applied> {
  switch (outcome.kind) {
    case 'paid': {
      const verifiedBy = boundMerchant(binding);
      const order = await findOrder(ctx, outcome.out_trade_no);
      if (!order) {
        keepOrphan(ctx, batch, { channel: outcome.channel, action: 'pay', transaction_id: outcome.transaction_id, out_trade_no: outcome.out_trade_no, amount: outcome.amount, event_id: outcome.event_id });
        return { result: 'orphan', hooks: [] };
      }
      const r = await applyPaid(ctx, {
        channel: outcome.channel, out_trade_no: outcome.out_trade_no, transaction_id: outcome.transaction_id,
        amount: outcome.amount, paid_at: outcome.paid_at, merchant: outcome.merchant, product_id: outcome.product_id, verified_by: verifiedBy,
        notification: { event_id: outcome.event_id, kind: outcome.kind, raw: outcome.raw },
      }, 'notify', batch, order);
      return { result: r.transition ?? (r.second_payment ? 'second_payment' : 'duplicate'), hooks: r.hook ? [r.hook] : [] };
    }
    case 'refund_succeeded':
    case 'refund_failed':
    case 'refund_held':
      return applyRefundNotification(ctx, outcome, batch, boundMerchant(binding));
    case 'renewed': {
      boundMerchant(binding);
      const r = await applyRenewal(ctx, outcome, batch);
      return { result: r.transition ? 'renew' : r.second_payment ? 'second_payment' : 'duplicate', hooks: r.hook ? [r.hook] : [] };
    }
    case 'closed': {
      const verifiedBy = boundMerchant(binding);
      const order = await findOrder(ctx, outcome.out_trade_no);
      if (!order || order.status !== 'pending') return { result: 'ignored', hooks: [] };
      checkOrderMerchant(order, verifiedBy);
      // the provider closed it (Alipay TRADE_CLOSED of an unpaid trade): expired, or closed there before expiry
      const fields = closeFieldsFromAnswer({ state: 'closed' }, order, ctx.now());
      const closed = await transitionOrder(ctx, { out_trade_no: order.out_trade_no, event: 'close', source: 'notify', set: { ...fields } });
      if (closed) batch.keep(() => recordNotification(ctx, { channel: outcome.channel, event_id: outcome.event_id, kind: outcome.kind, out_trade_no: outcome.out_trade_no, raw: outcome.raw }));
      return { result: closed ? 'close' : 'duplicate', hooks: [] };
    }
    default:
      return { result: 'ignored', hooks: [] };
  }
}

/** Money reported for an order (or refund) we do not have: kept once, a person told once, acknowledged. */
function keepOrphan(ctx: CoreContext, batch: WriteBatch, p: { channel: Channel; action: 'pay' | 'refund'; transaction_id: string; out_trade_no: string; out_refund_no?: string; amount?: number; event_id: string }): void {
  const provider = providerOf(p.channel);
  batch.need(() => recordUnappliedTransaction(ctx, { ...p, provider, status: 'orphan', source: 'notify' }));
  batch.keep(() => raiseAlert(ctx, {
    kind: 'orphan_payment', out_trade_no: p.out_trade_no, dedupe_key: `orphan:${provider}:${p.action}:${p.transaction_id}`,
    message: `${p.channel} reported ${p.action === 'pay' ? 'a payment' : `refund ${p.out_refund_no}`} of ${p.amount ?? '?'} fen (${p.transaction_id}) for order ${p.out_trade_no}, which does not exist here; acknowledged and kept for a person`,
  }));
}

type RefundOutcome = Extract<NotificationOutcome, { kind: 'refund_succeeded' | 'refund_failed' | 'refund_held' }>;

const REFUND_STATE_OF = { refund_succeeded: 'success', refund_failed: 'failed', refund_held: 'held' } as const;

async function applyRefundNotification(ctx: CoreContext, outcome: RefundOutcome, batch: WriteBatch, verifiedBy: string): Promise<Applied> {
  const wanted = REFUND_STATE_OF[outcome.kind];
  // One round trip: the record and the order are independent reads.
  const [record, order] = await Promise.all([findRefund(ctx, outcome.out_refund_no), findOrder(ctx, outcome.out_trade_no)]);
  if (record && record.out_trade_no !== outcome.out_trade_no) throw new OrderNotFoundError(`refund ${outcome.out_refund_no} of ${outcome.out_trade_no}`);
  const owner = record ?? order;
  if (owner) checkOrderMerchant(owner, verifiedBy);
  // A repeat needs neither the provider nor another write.
  if (record && (wanted === 'success' ? record.status === 'success' : record.status !== 'processing')) return { result: 'duplicate', hooks: [] };
  if (!record && wanted !== 'success') return { result: 'ignored', hooks: [] }; // nothing of ours to undo or hold
  if (!record && !order) {
    keepOrphan(ctx, batch, { channel: outcome.channel, action: 'refund', transaction_id: outcome.refund_id ?? outcome.out_refund_no, out_trade_no: outcome.out_trade_no, out_refund_no: outcome.out_refund_no, amount: outcome.amount ?? outcome.refunded_total, event_id: outcome.event_id });
    return { result: 'orphan', hooks: [] };
  }
  const amount = await ownRefundAmount(ctx, outcome, record, order, verifiedBy);
  const fact = { state: wanted, amount, refund_id: outcome.refund_id, success_at: outcome.success_at, provider_state: refundStateOf(outcome.raw) };
  const r = record
    ? await applyRefundFact(ctx, { record, fact, source: 'notify', batch, order })
    : await adoptProviderRefund(ctx, { channel: outcome.channel, out_trade_no: outcome.out_trade_no, out_refund_no: outcome.out_refund_no, amount, fact, source: 'notify', batch, order: order! });
  if (r.duplicate) return { result: 'duplicate', hooks: [] };
  batch.keep(() => recordNotification(ctx, { channel: outcome.channel, event_id: outcome.event_id, kind: outcome.kind, out_trade_no: outcome.out_trade_no, out_refund_no: outcome.out_refund_no, raw: outcome.raw }));
  return { result: `refund_${r.status}`, hooks: r.hooks };
}

/**
 * THIS refund's amount in integer fen. WeChat's notification says it. Alipay's says only the order's cumulative
 * `refund_fee`, so the refund is confirmed with fastpay.refund.query (it answers refund_amount per
 * out_request_no): until it confirms a success with an amount, the notification is refused (retryable) and
 * Alipay delivers it again - never applied or adopted with the cumulative figure. A failed or held refund
 * (WeChat only) without an amount concerns our own record's amount.
 */
async function ownRefundAmount(ctx: CoreContext, outcome: RefundOutcome, record: RefundRecord | null, order: OrderDoc | null, merchant: string): Promise<number> {
  if (outcome.amount !== undefined) return outcome.amount;
  // the whole payment came back (the App Store refunds a purchase, never part of it)
  if (outcome.whole_payment && order) return order.amount;
  if (outcome.kind !== 'refund_succeeded' && record) return record.amount;
  const answer = await ctx.provider(outcome.channel, merchant).queryRefund(outcome.out_refund_no, outcome.out_trade_no);
  if (answer.state !== 'success' || !Number.isSafeInteger(answer.amount) || answer.amount <= 0) {
    throw new VkPayError(40010, `refund ${outcome.out_refund_no}: the provider's refund query does not confirm it yet (${answer.provider_state ?? answer.state})`);
  }
  if (outcome.refunded_total !== undefined && answer.amount > outcome.refunded_total) {
    throw new ParamError(`refund ${outcome.out_refund_no}: ${answer.amount} fen exceeds the ${outcome.refunded_total} fen refunded in total`);
  }
  return answer.amount;
}

/** The provider's own refund state word in a refund notification (v3 resource, v2 req_info, or flat). */
function refundStateOf(raw: Record<string, unknown>): string | undefined {
  const nested = (k: string) => (raw[k] && typeof raw[k] === 'object' ? (raw[k] as Record<string, unknown>).refund_status : undefined);
  const v = raw.refund_status ?? nested('resource') ?? nested('req_info');
  return typeof v === 'string' ? v : undefined;
}

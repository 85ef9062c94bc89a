/**
 * Provider notifications, in the order of docs/RELIABILITY.md section 2, for every channel:
 * verify (signature + timestamp window) BEFORE any database access -> find the order -> bind checks -> record
 * the raw notification once -> the one transition -> record the transaction once -> enqueue the hook -> reply.
 * Anything that fails after verification answers with the channel's retry-triggering reply, never a false
 * success: the provider then delivers again and the idempotent steps finish the work.
 */
import { OrderNotFoundError, ParamError, toVkPayError, VkPayError } from '../../../../../../common/errors';
import type { Channel, IncomingNotification, NotificationOutcome, NotifyReply, PaymentProvider } from '../providers/types';
import { writePaymentError, writePaymentLog } from '../logging/logs';
import { findOrder } from '../state/refund-ledger';
import { transitionOrder } from '../state/transition';
import { applyPaid, recordNotification } from './apply-payment';
import { applyRefundResult, findRefund, type RefundRecord } from './apply-refund';
import { adoptProviderRefund } from './refund';
import { checkMerchant } from './bind';
import type { CallerMeta, CoreContext } from './context';
import { isChannelConfigured } from './context';

export interface NotifyHandling {
  reply: NotifyReply;
  ok: boolean;
  /** what happened: transitioned, duplicate, refused, ... (for logs and tests) */
  result: string;
  outcome?: NotificationOutcome;
  /** outbox entries this delivery enqueued: the caller may run them right away */
  hookKeys: string[];
}

const CHANNELS: readonly Channel[] = ['wxpay', 'wxpay-v2', 'alipay'];

function plainReply(statusCode: number, body: string): NotifyReply {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

export async function handleNotification(ctx: CoreContext, channel: Channel, req: IncomingNotification, meta: CallerMeta = {}): Promise<NotifyHandling> {
  const started = ctx.now();
  if (!CHANNELS.includes(channel) || !isChannelConfigured(ctx.config, channel)) {
    await writePaymentError(ctx, { action: 'notify', error: new ParamError(`channel ${String(channel)} is not configured`), input: { channel } });
    return { reply: plainReply(404, 'unknown channel'), ok: false, result: 'unknown_channel', hookKeys: [] };
  }
  const provider = ctx.provider(channel);

  // 1. Verify on the raw body. Nothing has touched the database yet, and nothing will if this fails.
  let outcome: NotificationOutcome;
  try {
    outcome = await provider.verifyNotification(req);
  } catch (err) {
    return refuse(ctx, provider, channel, err, 'unverified', started, meta, { headers: req.headers, body_length: req.rawBody.length });
  }

  try {
    const handled = await applyOutcome(ctx, outcome);
    await writePaymentLog(ctx, {
      type: 'notify', status: handled.result, out_trade_no: outcome.out_trade_no, provider: provider.provider,
      amount: 'amount' in outcome ? outcome.amount : undefined, ip: meta.ip, user_agent: meta.user_agent,
      response_time: ctx.now() - started, detail: { channel, kind: outcome.kind, event_id: outcome.event_id },
    });
    return { reply: provider.notifyReply(true), ok: true, result: handled.result, outcome, hookKeys: handled.hookKeys };
  } catch (err) {
    return refuse(ctx, provider, channel, err, 'refused', started, meta, { kind: outcome.kind, out_trade_no: outcome.out_trade_no, event_id: outcome.event_id }, outcome);
  }
}

async function refuse(
  ctx: CoreContext, provider: PaymentProvider, channel: Channel, err: unknown, result: string, started: number,
  meta: CallerMeta, input: Record<string, unknown>, outcome?: NotificationOutcome,
): Promise<NotifyHandling> {
  const e = toVkPayError(err);
  await writePaymentError(ctx, { action: 'notify', error: err, input: { channel, ...input }, out_trade_no: outcome?.out_trade_no });
  await writePaymentLog(ctx, {
    type: 'notify', status: 'fail', out_trade_no: outcome?.out_trade_no, provider: provider.provider,
    error_info: `${e.code} ${e.message}`, ip: meta.ip, user_agent: meta.user_agent, response_time: ctx.now() - started,
  });
  return { reply: provider.notifyReply(false), ok: false, result, outcome, hookKeys: [] };
}

async function applyOutcome(ctx: CoreContext, outcome: NotificationOutcome): Promise<{ result: string; hookKeys: string[] }> {
  switch (outcome.kind) {
    case 'paid': {
      const r = await applyPaid(ctx, {
        channel: outcome.channel, out_trade_no: outcome.out_trade_no, transaction_id: outcome.transaction_id,
        amount: outcome.amount, paid_at: outcome.paid_at, merchant: outcome.merchant,
        notification: { event_id: outcome.event_id, kind: outcome.kind, raw: outcome.raw },
      }, 'notify');
      return { result: r.transition ?? 'duplicate', hookKeys: r.hookKey ? [r.hookKey] : [] };
    }
    case 'refund_succeeded':
    case 'refund_failed':
    case 'refund_held': {
      checkMerchant(ctx.config, outcome.channel, outcome.merchant);
      const wanted = REFUND_STATE_OF[outcome.kind];
      // held (WeChat ABNORMAL/CHANGE) is final for us until a person acts; a failure cannot undo a held refund
      const done = (r: RefundRecord) => wanted === 'held'
        ? r.abnormal === true || r.status !== 'processing'
        : r.status === wanted || (wanted === 'failed' && r.abnormal === true);
      let record = await findRefund(ctx, outcome.out_refund_no);
      if (!record && wanted !== 'success') return { result: 'ignored', hookKeys: [] }; // nothing of ours to undo
      if (record && record.out_trade_no !== outcome.out_trade_no) throw new OrderNotFoundError(`refund ${outcome.out_refund_no} of ${outcome.out_trade_no}`);
      if (record && done(record)) return { result: 'duplicate', hookKeys: [] }; // no provider call for a redelivery
      const amount = await ownRefundAmount(ctx, outcome, record);
      record ??= await adoptProviderRefund(ctx, { channel: outcome.channel, out_trade_no: outcome.out_trade_no, out_refund_no: outcome.out_refund_no, amount });
      if (record.out_trade_no !== outcome.out_trade_no) throw new OrderNotFoundError(`refund ${outcome.out_refund_no} of ${outcome.out_trade_no}`);
      if (done(record)) return { result: 'duplicate', hookKeys: [] };
      await recordNotification(ctx, { channel: outcome.channel, event_id: outcome.event_id, kind: outcome.kind, out_trade_no: outcome.out_trade_no, out_refund_no: outcome.out_refund_no, raw: outcome.raw });
      const providerState = refundStateOf(outcome.raw);
      const r = await applyRefundResult(ctx, record, { state: wanted, amount, refund_id: outcome.refund_id, success_at: outcome.success_at, provider_state: providerState }, 'notify');
      return { result: `refund_${r.status}`, hookKeys: r.hookKey ? [r.hookKey] : [] };
    }
    case 'closed': {
      checkMerchant(ctx.config, outcome.channel, outcome.merchant);
      const order = await findOrder(ctx, outcome.out_trade_no);
      if (!order) throw new OrderNotFoundError(outcome.out_trade_no);
      if (order.status !== 'pending') return { result: 'ignored', hookKeys: [] };
      await recordNotification(ctx, { channel: outcome.channel, event_id: outcome.event_id, kind: outcome.kind, out_trade_no: outcome.out_trade_no, raw: outcome.raw });
      const closed = await transitionOrder(ctx, { out_trade_no: order.out_trade_no, event: 'close', source: 'notify', set: { closed_at: ctx.now() } });
      return { result: closed ? 'close' : 'duplicate', hookKeys: [] };
    }
    case 'ignored':
      return { result: 'ignored', hookKeys: [] };
  }
}

type RefundOutcome = Extract<NotificationOutcome, { kind: 'refund_succeeded' | 'refund_failed' | 'refund_held' }>;

const REFUND_STATE_OF = { refund_succeeded: 'success', refund_failed: 'failed', refund_held: 'held' } as const;

/**
 * THIS refund's amount in integer fen. WeChat's notification says it. Alipay's says only the order's cumulative
 * `refund_fee`, so the refund is confirmed with fastpay.refund.query (it answers refund_amount per
 * out_request_no): until it confirms a success with an amount, the notification is refused (retryable) and
 * Alipay delivers it again - never applied or adopted with the cumulative figure. A failed or held refund
 * (WeChat only) without an amount concerns our own record's amount.
 */
async function ownRefundAmount(ctx: CoreContext, outcome: RefundOutcome, record: RefundRecord | null): Promise<number> {
  if (outcome.amount !== undefined) return outcome.amount;
  if (outcome.kind !== 'refund_succeeded' && record) return record.amount;
  const answer = await ctx.provider(outcome.channel).queryRefund(outcome.out_refund_no, outcome.out_trade_no);
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

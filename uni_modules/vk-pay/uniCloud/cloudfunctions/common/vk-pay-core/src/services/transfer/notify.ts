/**
 * Transfer notifications (`/http/vk-pay-notify/<channel>-transfer`, WeChat's MCHTRANSFER.BILL.FINISHED), in the
 * order payments are handled: verify on the raw body BEFORE any database access -> our merchant -> our payout
 * (same channel, same amount) -> apply through the one apply path -> keep the notification once -> answer.
 * A repeat changes nothing (the conditional transition moves a final payout no further) and is acknowledged;
 * a failure on the way answers the retry reply, so the gateway delivers again. Never a false success.
 */
import { ParamError, toVkPayError } from '../../../../../../../common/errors';
import { writePaymentError, writePaymentLog } from '../../logging/logs';
import { countRejection } from '../../logging/rejections';
import { raiseAlert } from '../../outbox/alerts';
import { findDefinition } from '../../providers/registry';
import type { Channel, IncomingNotification, NotifyReply, TransferNotification } from '../../providers/types';
import { recordNotification } from '../apply-payment';
import { checkMerchant, verifyForMerchant } from '../bind';
import { isChannelConfigured, type CallerMeta, type CoreContext } from '../context';
import { MAX_NOTIFY_BODY_CHARS } from '../notification-bounds';
import { applyTransferFact } from './apply';
import { findTransfer } from './record';
import { merchantOf } from '../../config/merchants';

export interface TransferNotifyHandling { reply: NotifyReply; ok: boolean; result: string }

const notFound: NotifyReply = { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'unknown channel' };

export async function handleTransferNotification(ctx: CoreContext, channel: Channel, req: IncomingNotification, meta: CallerMeta = {}): Promise<TransferNotifyHandling> {
  const started = ctx.now();
  const source = `${channel}-transfer`;
  const request: IncomingNotification = { headers: req?.headers ?? {}, rawBody: typeof req?.rawBody === 'string' ? req.rawBody : '' };
  const provider = findDefinition(channel)?.transfers?.notifications && isChannelConfigured(ctx.config, channel) ? ctx.provider(channel) : undefined;
  if (!provider?.verifyTransferNotification) {
    await countRejection(ctx, { source: 'unknown', reason: 'unknown_channel', error: new ParamError(`${source.slice(0, 40)} receives no notifications`), req: request, ip: meta.ip });
    return { reply: notFound, ok: false, result: 'unknown_channel' };
  }
  if (request.rawBody.length > MAX_NOTIFY_BODY_CHARS) {
    await countRejection(ctx, { source, reason: 'too_large', error: new ParamError(`notification body of ${request.rawBody.length} characters`), req: request, ip: meta.ip });
    return { reply: provider.notifyReply(false), ok: false, result: 'unverified' };
  }

  let n: TransferNotification;
  let verifiedBy: string;
  try {
    // a message naming none of the merchants that verified it is refused by checkMerchant below, with an error row
    ({ message: n, merchant: verifiedBy } = await verifyForMerchant(ctx, channel, (p) => p.verifyTransferNotification?.(request)));
  } catch (err) {
    if (toVkPayError(err).code === 40002) {
      await countRejection(ctx, { source, reason: 'signature', error: err, req: request, ip: meta.ip });
      return { reply: provider.notifyReply(false), ok: false, result: 'unverified' };
    }
    // proven to come from the gateway, unreadable: acknowledged once, a person is told
    await writePaymentError(ctx, { action: 'notify_transfer', error: err, input: { channel, body_length: request.rawBody.length } });
    await raiseAlert(ctx, { kind: 'notify_refused', message: `a verified ${source} notification cannot be read: ${toVkPayError(err).message.slice(0, 200)}` });
    return { reply: provider.notifyReply(true), ok: true, result: 'refused' };
  }

  const out_bill_no = n.result.out_bill_no;
  try {
    checkMerchant(ctx.config, channel, n.merchant, verifiedBy);
    const record = await findTransfer(ctx, out_bill_no);
    // a payout of another of the channel's merchants is not this merchant's to settle
    if (record && record.channel === channel && merchantOf(record) !== verifiedBy) throw new ParamError(`payout ${out_bill_no} belongs to merchant ${merchantOf(record)}, not ${verifiedBy}`);
    if (!record || record.channel !== channel) {
      // every payout of ours is recorded before it is sent: this one is not ours to apply
      await raiseAlert(ctx, { kind: 'transfer_mismatch', message: `${source} notification for unknown payout ${out_bill_no.slice(0, 40)}`, dedupe_key: `transfer_unknown:${channel}:${n.event_id}` });
      await writePaymentLog(ctx, { type: 'notify', status: 'orphan', provider: provider.provider, response_time: ctx.now() - started, detail: { out_bill_no } });
      return { reply: provider.notifyReply(true), ok: true, result: 'orphan' };
    }
    const { moved } = await applyTransferFact(ctx, record, n.result, 'notify');
    await recordNotification(ctx, { channel, event_id: `transfer:${n.event_id}`, kind: 'transfer', raw: n.raw });
    const result = moved ? 'applied' : 'duplicate';
    await writePaymentLog(ctx, { type: 'notify', status: result, provider: provider.provider, amount: record.amount, user_id: record.user_id, ip: meta.ip, response_time: ctx.now() - started, detail: { out_bill_no, state: n.result.provider_state } });
    return { reply: provider.notifyReply(true), ok: true, result };
  } catch (err) {
    // a check that may pass later or a failed write: the gateway delivers again, the steps are idempotent
    await writePaymentError(ctx, { action: 'notify_transfer', error: err, input: { channel, out_bill_no, event_id: n.event_id } });
    return { reply: provider.notifyReply(false), ok: false, result: 'fail' };
  }
}

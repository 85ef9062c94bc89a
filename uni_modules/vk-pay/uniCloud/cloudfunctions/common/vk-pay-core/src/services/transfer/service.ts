/**
 * Payouts, exactly once (docs/EXACTLY-ONCE.md, "Payouts"):
 *  1. limits are checked and the day's totals reserved by conditional updates - nothing is written when refused;
 *  2. the payout is recorded under its out_bill_no (unique) BEFORE the provider is called, with a send lease:
 *     of any number of concurrent requests for one out_bill_no, one inserts and sends, the others read the record;
 *  3. the provider is asked with that same out_bill_no - its own idempotency key - on every later attempt;
 *  4. an unknown answer (timeout, 5xx, a crash after recording) is settled by QUERYING the same number; only a
 *     verified "never received" lets the same number be sent again. A new number is never made up for a retry.
 */
import { ParamError, VkPayError, toVkPayError } from '../../../../../../../common/errors';
import { protectUserInfo } from '../../logging/user-info-crypto';
import { writePaymentLog } from '../../logging/logs';
import { isDuplicateKeyError } from '../../platform/database';
import { definitionOf } from '../../providers/registry';
import type { PaymentProvider, TransferInput } from '../../providers/types';
import { COLLECTIONS } from '../../state/collections';
import { FINAL_TRANSFER_STATUSES } from '../../state/transfer-status';
import { channelOf, notifyUrlFor, type CoreContext } from '../context';
import { parseParams } from '../validate';
import { applyTransferFact } from './apply';
import { transferParams, transferRefParams, type TransferParams } from './params';
import { limitsFor, releaseQuota, reserveQuota } from './quota';
import { findTransfer, transferView, type TransferDoc, type TransferView } from './record';
import { decryptUserInfo, type EncryptedBlob } from '../../logging/user-info-crypto';
import { DEFAULT_MERCHANT, merchantOf, merchantSection } from '../../config/merchants';

type Requester = 'admin' | 'server';

/** The provider of the merchant that pays (the record's, or the request's): its keys send, query and cancel. */
function transferCapable(ctx: CoreContext, channel: TransferDoc['channel'], merchant: string = DEFAULT_MERCHANT): PaymentProvider & Required<Pick<PaymentProvider, 'transfer' | 'queryTransfer'>> {
  if (!merchantSection(ctx.config, channel, merchant)) throw new ParamError(`merchant ${merchant} of ${channel} is not configured`);
  const provider = ctx.provider(channel, merchant);
  if (!provider.transfer || !provider.queryTransfer) throw new ParamError(`${channel} does not pay out`);
  return provider as PaymentProvider & Required<Pick<PaymentProvider, 'transfer' | 'queryTransfer'>>;
}

/** The payee as the request names it, checked against what the channel accepts (a malformed account sends nothing). */
function payeeOf(p: TransferParams, channel: TransferDoc['channel']) {
  const spec = definitionOf(channel).transfers;
  if (!spec) throw new ParamError(`${p.provider} does not pay out`);
  const payee = p.openid ? { identity_type: 'openid', identity: p.openid, name: p.user_name } : { ...p.payee!, name: p.payee!.name ?? p.user_name };
  const pattern = spec.payees[payee.identity_type];
  if (!pattern || !Object.prototype.hasOwnProperty.call(spec.payees, payee.identity_type)) {
    throw new ParamError(`payee.identity_type must be one of ${Object.keys(spec.payees).join(', ')} for ${p.provider}`);
  }
  if (!pattern.test(payee.identity)) throw new ParamError(`payee: not a well-formed ${payee.identity_type}`);
  if (p.amount < spec.minAmount) throw new ParamError(`amount: ${p.provider} pays out ${spec.minAmount} fen at least`);
  return payee;
}

function sameRequest(t: TransferDoc, p: TransferParams, channel: string, identity: string): boolean {
  return t.channel === channel && t.amount === p.amount && t.payee.identity === identity && merchantOf(t) === (p.merchant ?? DEFAULT_MERCHANT);
}

export async function requestTransfer(ctx: CoreContext, raw: unknown, by: Requester): Promise<TransferView> {
  const p = parseParams(transferParams, raw);
  const channel = channelOf(ctx.config, p.provider);
  const payee = payeeOf(p, channel);
  transferCapable(ctx, channel, p.merchant);
  const cfg = ctx.config.transfers;
  if (p.amount > cfg.maxAmount) throw new ParamError(`amount ${p.amount} fen is over the payout limit of ${cfg.maxAmount} fen`);

  const known = await findTransfer(ctx, p.out_bill_no);
  if (known) return retryOf(ctx, known, p, channel, payee.identity);

  const now = ctx.now();
  const limits = limitsFor(cfg, { channel, user_id: p.user_id, identity: payee.identity }, now);
  const { refused, taken } = await reserveQuota(ctx, limits, p.out_bill_no, p.amount);
  if (refused) throw new VkPayError(40008, `payout of ${p.amount} fen is over the ${refused.startsWith('day:') ? 'daily' : "payee's daily"} limit`);

  const record: TransferDoc = {
    out_bill_no: p.out_bill_no, provider: p.provider, channel, amount: p.amount, status: 'created',
    payee: { identity_type: payee.identity_type, identity: payee.identity, ...(payee.name ? { name: protectUserInfo(payee.name, ctx.config.userInfoKey) } : {}) },
    remark: p.remark, requested_by: by, quota_keys: limits.map((l) => l.key),
    send_lease_until: now + cfg.leaseMs, send_attempts: 1, answered: false, sync_next_at: now + cfg.staleMs,
    create_date: now, update_date: now, history: [],
  };
  if (p.user_id) record.user_id = p.user_id;
  if (p.merchant && p.merchant !== DEFAULT_MERCHANT) record.merchant = p.merchant;
  const scene = p.scene_id ?? cfg.sceneId;
  if (scene) record.scene_id = scene;
  const infos = p.scene_report_infos ?? cfg.sceneReportInfos;
  if (infos) record.scene_report_infos = infos;
  record.title = cfg.title;
  try {
    await ctx.dao.add({ dbName: COLLECTIONS.transfers, dataJson: record, cancelAddTime: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) {
      await releaseQuota(ctx, record.quota_keys, p.out_bill_no, p.amount);
      throw err;
    }
    // a concurrent request for the same out_bill_no recorded it first: it sends. The same payout shares its
    // reservation; a conflicting one (other amount or payee) gives back what it reserved for itself.
    const first = await findTransfer(ctx, p.out_bill_no);
    if (!first || !sameRequest(first, p, channel, payee.identity)) await releaseQuota(ctx, taken, p.out_bill_no, p.amount);
    if (!first) throw new VkPayError(40010, `payout ${p.out_bill_no} is being recorded`);
    return retryOf(ctx, first, p, channel, payee.identity);
  }
  return transferView(await send(ctx, record, 'transfer'));
}

async function retryOf(ctx: CoreContext, known: TransferDoc, p: TransferParams, channel: string, identity: string): Promise<TransferView> {
  if (!sameRequest(known, p, channel, identity)) throw new ParamError(`out_bill_no ${p.out_bill_no} belongs to a different payout`);
  return transferView(await settleTransfer(ctx, known, 'retry'));
}

/** The request the provider gets, rebuilt from the record (the same on every attempt). */
function inputOf(ctx: CoreContext, t: TransferDoc): TransferInput {
  const name = t.payee.name === undefined ? undefined
    : typeof t.payee.name === 'string' ? t.payee.name
      : ctx.config.userInfoKey ? decryptUserInfo<string>(t.payee.name as EncryptedBlob, ctx.config.userInfoKey) : undefined;
  const input: TransferInput = {
    out_bill_no: t.out_bill_no, amount: t.amount, remark: t.remark,
    payee: { identity_type: t.payee.identity_type, identity: t.payee.identity, ...(name ? { name } : {}) },
  };
  if (definitionOf(t.channel).transfers?.notifications) input.notify_url = `${notifyUrlFor(ctx.config, t.channel)}-transfer`;
  if (t.scene_id) input.scene_id = t.scene_id;
  if (t.scene_report_infos) input.scene_report_infos = t.scene_report_infos;
  if (t.title) input.title = t.title;
  return input;
}

/** Sends the recorded payout (the caller holds its send lease) and applies the answer. */
async function send(ctx: CoreContext, record: TransferDoc, source: string): Promise<TransferDoc> {
  const provider = transferCapable(ctx, record.channel, merchantOf(record));
  const started = ctx.now();
  try {
    const answer = await provider.transfer(inputOf(ctx, record));
    const { record: fresh } = await applyTransferFact(ctx, record, answer, source);
    await writePaymentLog(ctx, { type: 'transfer', status: fresh.status, provider: record.provider, amount: record.amount, user_id: record.user_id, response_time: ctx.now() - started, detail: { out_bill_no: record.out_bill_no } });
    return fresh;
  } catch (err) {
    const e = toVkPayError(err);
    await writePaymentLog(ctx, { type: 'transfer', status: 'fail', provider: record.provider, amount: record.amount, user_id: record.user_id, error_info: `${e.code} ${e.message}`.slice(0, 300), response_time: ctx.now() - started, detail: { out_bill_no: record.out_bill_no } });
    if (!e.retryable && e.code !== 50000) {
      // a definite refusal: nothing was paid; the record says why, the quota goes back, a person is told
      const { record: failed } = await applyTransferFact(ctx, record, { state: 'failed', out_bill_no: record.out_bill_no, fail_reason: `${e.code} ${e.detail ?? e.message}` }, source);
      throw Object.assign(e, { transfer: transferView(failed) });
    }
    // unknown: the provider may have paid. Ask it with the same number (never send under a new one).
    await ctx.dao.update({ dbName: COLLECTIONS.transfers, whereJson: { out_bill_no: record.out_bill_no, status: 'created' }, dataJson: { send_lease_until: 0, sync_next_at: ctx.now(), update_date: ctx.now() } });
    const fresh = (await findTransfer(ctx, record.out_bill_no)) ?? record;
    // query only: a second send here could meet the same failure again and again; the timer resends later
    return settleTransfer(ctx, fresh, 'settle', { resend: false }).catch(() => fresh);
  }
}

/** Gives up the send lease at once (nothing in flight), so the next request or the timer may ask. */
async function releaseSend(ctx: CoreContext, t: TransferDoc): Promise<void> {
  await ctx.dao.update({ dbName: COLLECTIONS.transfers, whereJson: { out_bill_no: t.out_bill_no, status: 'created' }, dataJson: { send_lease_until: 0, sync_next_at: ctx.now() + 30_000 } });
}

/** Claims the right to talk to the provider about a payout never answered; true for the one caller that got it. */
async function claimSend(ctx: CoreContext, t: TransferDoc): Promise<boolean> {
  const _ = ctx.db.command;
  const now = ctx.now();
  const claimed = await ctx.dao.update({
    dbName: COLLECTIONS.transfers,
    whereJson: { out_bill_no: t.out_bill_no, status: 'created', answered: false, send_lease_until: _.lte(now) },
    dataJson: { send_lease_until: now + ctx.config.transfers.leaseMs, send_attempts: _.inc(1), update_date: now },
  });
  return claimed === 1;
}

/**
 * Learns where an open payout stands and applies it: a final one is returned as it is; one never answered is
 * claimed (one caller at a time), QUERIED with its own out_bill_no, and only when the provider verifiably never
 * received it, sent again under that same number; an accepted or waiting one is queried.
 */
export async function settleTransfer(ctx: CoreContext, t: TransferDoc, source: string, opts: { resend?: boolean } = {}): Promise<TransferDoc> {
  if (FINAL_TRANSFER_STATUSES.includes(t.status)) return t;
  const provider = transferCapable(ctx, t.channel, merchantOf(t));
  if (t.status === 'created' && !t.answered) {
    if (!(await claimSend(ctx, t))) return (await findTransfer(ctx, t.out_bill_no)) ?? t; // someone else is on it
    let q;
    try {
      q = await provider.queryTransfer(t.out_bill_no);
    } catch (err) {
      await releaseSend(ctx, t);
      throw err;
    }
    if (q.state !== 'not_found') return (await applyTransferFact(ctx, t, q, source)).record;
    if (opts.resend !== false) return send(ctx, t, source);
    await releaseSend(ctx, t);
    return (await findTransfer(ctx, t.out_bill_no)) ?? t;
  }
  const q = await provider.queryTransfer(t.out_bill_no);
  if (q.state === 'not_found') {
    // answered before, unknown now: the provider lost it or it is older than its query window; a person looks
    await ctx.dao.update({ dbName: COLLECTIONS.transfers, whereJson: { out_bill_no: t.out_bill_no }, dataJson: { sync_next_at: ctx.now() + 10 * 60_000 } });
    return t;
  }
  return (await applyTransferFact(ctx, t, q, source)).record;
}

export async function queryTransfer(ctx: CoreContext, raw: unknown): Promise<TransferView> {
  const p = parseParams(transferRefParams, raw);
  const t = await findTransfer(ctx, p.out_bill_no);
  if (!t) throw new VkPayError(40005, `payout ${p.out_bill_no} does not exist`);
  return transferView(await settleTransfer(ctx, t, 'query'));
}

/** Cancels a payout the payee has not confirmed yet; the end state is what the provider then reports. */
export async function cancelTransfer(ctx: CoreContext, raw: unknown): Promise<TransferView> {
  const p = parseParams(transferRefParams, raw);
  const t = await findTransfer(ctx, p.out_bill_no);
  if (!t) throw new VkPayError(40005, `payout ${p.out_bill_no} does not exist`);
  if (FINAL_TRANSFER_STATUSES.includes(t.status)) return transferView(t);
  const provider = ctx.provider(t.channel, merchantOf(t));
  if (!provider.cancelTransfer) throw new ParamError(`${t.provider} payouts cannot be cancelled`);
  const settled = await settleTransfer(ctx, t, 'cancel');
  if (FINAL_TRANSFER_STATUSES.includes(settled.status) || !settled.answered) return transferView(settled);
  const answer = await provider.cancelTransfer(t.out_bill_no);
  return transferView((await applyTransferFact(ctx, settled, answer, 'cancel')).record);
}

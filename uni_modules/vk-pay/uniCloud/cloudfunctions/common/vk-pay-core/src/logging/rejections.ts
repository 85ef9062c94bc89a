/**
 * Requests to the notify URL that do not verify. The URL is public: anyone can post to it, as often as they
 * like, so what such a request costs us must be bounded whatever it carries. It is COUNTED - one document per
 * source (the notify route it hit) and minute, `count` incremented - and only the first of each source and minute
 * is kept as a sample: one payment_errors row, its input reduced to the reason, the body's length and digest,
 * the caller's address and the few headers that tell a misconfigured gateway from junk. Never the body, never
 * whole headers. A flood of junk therefore writes at most two rows per source per minute, and one increment each.
 */
import { createHash } from 'node:crypto';
import type { IncomingNotification } from '../providers/types';
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';
import { isDuplicateKeyError } from '../platform/database';
import { writePaymentError } from './logs';

/** The headers that say which gateway (and which key) a request claims to come from. */
const SAMPLED_HEADERS = ['content-type', 'content-length', 'user-agent', 'wechatpay-serial', 'wechatpay-timestamp', 'wechatpay-signature-type', 'request-id'];
const MAX_HEADER_CHARS = 128;

export interface Rejection {
  /** the notify route: a channel name, or `unknown` */
  source: string;
  /** why: signature, too_large, unknown_channel, ... */
  reason: string;
  error: unknown;
  req: IncomingNotification;
  ip?: string;
}

export function sampleOf(r: Rejection): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const h of SAMPLED_HEADERS) {
    const v = r.req.headers?.[h];
    if (typeof v === 'string') headers[h] = v.slice(0, MAX_HEADER_CHARS);
  }
  const body = typeof r.req.rawBody === 'string' ? r.req.rawBody : '';
  return {
    source: r.source.slice(0, 32), reason: r.reason, ip: r.ip?.slice(0, 64), headers,
    body_length: Buffer.byteLength(body), body_sha256: createHash('sha256').update(body).digest('hex').slice(0, 16),
  };
}

/** Counts one rejected request; the first of its source and minute also writes the sample. Never throws. */
export async function countRejection(ctx: StoreContext, r: Rejection): Promise<void> {
  const _ = ctx.db.command;
  const now = ctx.now();
  const minute = now - (now % 60_000);
  const source = String(r.source).slice(0, 32);
  const key = `${source}:${minute}`;
  try {
    if ((await ctx.dao.update({ dbName: COLLECTIONS.rejections, whereJson: { key }, dataJson: { count: _.inc(1), last_at: now } })) === 1) return;
    try {
      await ctx.dao.add({ dbName: COLLECTIONS.rejections, dataJson: { key, source, minute, count: 1, first_at: now, last_at: now, first_reason: r.reason }, cancelAddTime: true });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // Another request of the same minute created it first: count this one there; the sample is theirs.
      await ctx.dao.update({ dbName: COLLECTIONS.rejections, whereJson: { key }, dataJson: { count: _.inc(1), last_at: now } });
      return;
    }
    await writePaymentError(ctx, { action: 'notify', error: r.error, input: sampleOf(r) });
  } catch (err) {
    console.error('[vk-pay] notify rejection count failed:', (err as Error).message);
  }
}

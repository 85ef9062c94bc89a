/**
 * What a verified notification may carry before anything is looked up or stored. A genuine notification is a
 * kilobyte or two with short ASCII ids; one that is signed but out of these bounds (a field of kilobytes, an id
 * with control characters) can never be applied, whatever we do - retrying it would only repeat the refusal for
 * a day - so it is refused permanently: acknowledged, recorded once, alerted (services/notify.ts).
 */
import { findDefinition } from '../providers/registry';
import type { NotificationOutcome } from '../providers/types';

/** Bodies above this are refused before verification (a real notification is far smaller). */
export const MAX_NOTIFY_BODY_CHARS = 64 * 1024;
/** A verified body above this is out of bounds. */
export const MAX_VERIFIED_BODY_CHARS = 32 * 1024;

/** Provider and merchant ids: printable ASCII without spaces, at most 64 characters. */
const ID = /^[\x21-\x7e]{1,64}$/;
const EVENT_ID = /^[\x21-\x7e]{1,128}$/;
/** 10^11 fen (one billion yuan): far above any single payment a channel accepts. */
const MAX_FEN = 100_000_000_000;

function fen(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= MAX_FEN;
}

/** Why a verified outcome cannot be applied, or null when it is within bounds. */
export function outOfBounds(outcome: NotificationOutcome, bodyChars: number): string | null {
  if (bodyChars > MAX_VERIFIED_BODY_CHARS) return `body of ${bodyChars} characters`;
  if (typeof outcome.event_id !== 'string' || !EVENT_ID.test(outcome.event_id)) return 'event id out of bounds';
  const ids: Array<[string, unknown]> = [];
  const optional: Array<[string, unknown]> = [['app id', outcome.merchant?.app_id], ['merchant id', outcome.merchant?.merchant_id]];
  switch (outcome.kind) {
    case 'paid':
      ids.push(['out_trade_no', outcome.out_trade_no], ['transaction_id', outcome.transaction_id]);
      // a channel bound by product states no amount in fen; every other channel must
      if (findDefinition(outcome.channel)?.orderBinding === 'product' ? outcome.amount !== undefined && !fen(outcome.amount) : !fen(outcome.amount)) return 'amount out of bounds';
      break;
    case 'refund_succeeded': case 'refund_failed': case 'refund_held':
      ids.push(['out_trade_no', outcome.out_trade_no], ['out_refund_no', outcome.out_refund_no]);
      optional.push(['refund_id', outcome.refund_id]);
      if (outcome.amount !== undefined && !fen(outcome.amount)) return 'refund amount out of bounds';
      if (outcome.refunded_total !== undefined && !fen(outcome.refunded_total)) return 'refunded total out of bounds';
      break;
    case 'renewed':
      ids.push(['out_trade_no', outcome.out_trade_no], ['transaction_id', outcome.transaction_id]);
      break;
    case 'closed':
      ids.push(['out_trade_no', outcome.out_trade_no]);
      break;
    default:
      optional.push(['out_trade_no', outcome.out_trade_no]);
  }
  for (const [name, v] of ids) if (typeof v !== 'string' || !ID.test(v)) return `${name} out of bounds`;
  for (const [name, v] of optional) if (v !== undefined && v !== '' && (typeof v !== 'string' || !ID.test(v))) return `${name} out of bounds`;
  return null;
}

/**
 * App Store Server Notifications V2 (docs/PROTOCOLS.md section 9): the body is `{"signedPayload": JWS}`, verified
 * like a signed transaction; its `data` names the app and environment and carries the transaction as another
 * JWS, verified the same way. Apple cannot name our order: the outcome names it by the transaction id (an order
 * it paid) and by the purchase token the order handed the device (`provider_order_id`), and the core finds it.
 *   ONE_TIME_CHARGE, SUBSCRIBED/INITIAL_BUY -> paid (a purchase the device may never have come back to verify)
 *   DID_RENEW -> a renewed subscription period (the core records it as a new paid order of the first one)
 *   REFUND, REVOKE (not of a family-shared copy) -> the whole payment refunded
 *   anything else (EXPIRED, DID_CHANGE_RENEWAL_STATUS, ...) -> acknowledged without effect, with the reason:
 *   an expiry undoes nothing (the periods paid stay paid) and simply no renewal order follows
 */
import { SignatureError } from '../../../../../../../common/errors';
import type { IncomingNotification, NotificationOutcome } from '../types';
import type { AppleiapSection } from './config';
import { readTransaction, type AppleTransaction } from './transaction';

type Verify = (jws: unknown) => Record<string, unknown>;

function signedPayloadOf(rawBody: string): unknown {
  try { return (JSON.parse(rawBody) as { signedPayload?: unknown }).signedPayload; } catch { return undefined; }
}

const PAID = new Set(['ONE_TIME_CHARGE', 'SUBSCRIBED:INITIAL_BUY']);
const REFUNDED = new Set(['REFUND', 'REVOKE']);

export function appleNotificationOutcome(req: IncomingNotification, section: AppleiapSection, verify: Verify): NotificationOutcome {
  const payload = verify(signedPayloadOf(req.rawBody));
  const type = typeof payload.notificationType === 'string' ? payload.notificationType.slice(0, 40) : '';
  const subtype = typeof payload.subtype === 'string' ? payload.subtype.slice(0, 40) : undefined;
  const event_id = typeof payload.notificationUUID === 'string' ? payload.notificationUUID : '';
  const data = payload.data && typeof payload.data === 'object' ? payload.data as Record<string, unknown> : {};
  const bundleId = typeof data.bundleId === 'string' ? data.bundleId.slice(0, 256) : '';
  const environment = typeof data.environment === 'string' ? data.environment.slice(0, 16) : '';
  const base = { channel: 'appleiap' as const, event_id, merchant: { app_id: bundleId } };
  const raw: Record<string, unknown> = { notificationType: type, subtype, notificationUUID: event_id, environment, bundleId };
  const ignored = (reason: string): NotificationOutcome => ({ ...base, kind: 'ignored', reason, raw });

  const key = subtype ? `${type}:${subtype}` : type;
  if (!PAID.has(key) && !REFUNDED.has(type) && type !== 'DID_RENEW') return ignored(`App Store ${key} is not a payment or refund vk-pay records`);
  if (!(section.environments as readonly string[]).includes(environment)) return ignored(`App Store ${environment} notifications are not accepted by the config`);
  if (typeof data.signedTransactionInfo !== 'string') throw new SignatureError(`App Store ${type} notification carries no signedTransactionInfo`);
  const txPayload = verify(data.signedTransactionInfo);
  const tx: AppleTransaction = readTransaction(txPayload);
  raw.transaction = txPayload;
  if (tx.bundleId !== bundleId) throw new SignatureError('App Store notification and its transaction name different apps');

  if (PAID.has(key)) {
    return {
      ...base, kind: 'paid', out_trade_no: '', transaction_id: tx.transactionId, paid_at: tx.purchaseDate, product_id: tx.productId, raw,
      order_ref: { transaction_id: tx.transactionId, provider_order_id: tx.appAccountToken },
    };
  }
  if (type === 'DID_RENEW') {
    const renewed: NotificationOutcome = {
      ...base, kind: 'renewed', out_trade_no: '', transaction_id: tx.transactionId, paid_at: tx.purchaseDate, product_id: tx.productId, raw,
      order_ref: { transaction_id: tx.originalTransactionId },
    };
    if (tx.expiresDate !== undefined) renewed.expires_at = tx.expiresDate;
    return renewed;
  }
  // a family member's copy being withdrawn is no money back to the buyer
  if (type === 'REVOKE' && txPayload.inAppOwnershipType === 'FAMILY_SHARED') return ignored('App Store REVOKE of a family-shared copy');
  return {
    ...base, kind: 'refund_succeeded', out_trade_no: '', out_refund_no: `AR${tx.transactionId}`, refund_id: tx.transactionId,
    success_at: tx.revocationDate, whole_payment: true, raw, order_ref: { transaction_id: tx.transactionId },
  };
}

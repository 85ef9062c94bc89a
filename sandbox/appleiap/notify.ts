/**
 * App Store Server Notifications V2 as the sandbox sends them: `POST {"signedPayload": JWS}` whose payload names
 * the type (ONE_TIME_CHARGE, SUBSCRIBED, DID_RENEW, EXPIRED, REFUND, REVOKE), a notificationUUID that stays the
 * same on every retry, and the transaction, itself a signed JWS. Faults shape the signature: a corrupted one, a
 * payload edited after signing, or a chain under a root nobody trusts.
 */
import { corruptSignature } from '../context';
import type { OutgoingNotification } from '../notifier';
import type { FaultSettings } from '../faults';
import type { AppleBooks, AppleNotificationRecord } from './books';
import { signTransaction, SUBSCRIPTION } from './books';
import type { AppleSandboxCredentials } from './credentials';
import { signAppleJws } from './pki';

/** What the notifier's kind is for each type: a payment, a refund, or a subscription that ended. */
export function kindOf(type: string): 'payment' | 'refund' | 'close' {
  if (type === 'REFUND' || type === 'REVOKE') return 'refund';
  if (type === 'EXPIRED') return 'close';
  return 'payment';
}

/** The type Apple sends for a first purchase of this product type. */
export function purchaseNotificationType(productType: string): { type: string; subtype?: string } {
  return productType === SUBSCRIPTION ? { type: 'SUBSCRIBED', subtype: 'INITIAL_BUY' } : { type: 'ONE_TIME_CHARGE' };
}

export function buildAppleNotification(creds: AppleSandboxCredentials, books: AppleBooks, rec: AppleNotificationRecord, faults: FaultSettings, now: number): OutgoingNotification | undefined {
  const tx = books.transactions[rec.transactionId];
  if (!tx) return undefined;
  const chain = faults.tamper === 'chain' ? creds.untrusted : creds.pki;
  const payload: Record<string, unknown> = {
    notificationType: rec.notificationType, notificationUUID: rec.notificationUUID, version: '2.0', signedDate: now,
    data: { bundleId: creds.bundleId, environment: 'Sandbox', signedTransactionInfo: signTransaction(tx, creds.bundleId, chain, now) },
  };
  if (rec.subtype) payload.subtype = rec.subtype;
  let jws = signAppleJws(payload, chain);
  const [head, body, sig] = jws.split('.');
  if (faults.tamper === 'signature') jws = `${head}.${body}.${Buffer.from(corruptSignature(Buffer.from(sig, 'base64url').toString('base64')), 'base64').toString('base64url')}`;
  if (faults.tamper === 'amount' || faults.tamper === 'timestamp') {
    const edited = { ...payload, signedDate: now + 3600_000, notificationType: rec.notificationType === 'REFUND' ? 'ONE_TIME_CHARGE' : 'REFUND' };
    jws = `${head}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${sig}`;
  }
  return { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ signedPayload: jws }) };
}

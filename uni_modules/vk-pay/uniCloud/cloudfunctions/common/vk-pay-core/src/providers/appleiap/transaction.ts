/**
 * What a verified App Store transaction says, and whether it pays a given order. The signature proves Apple
 * signed it; these checks prove it was signed for this app, this order's product and this order (the per-order
 * token), in an environment the config accepts, and that it was not refunded or revoked. Pure functions.
 */
import { createHash } from 'node:crypto';
import { ParamError, SignatureError } from '../../../../../../../common/errors';

export type AppleEnvironment = 'Production' | 'Sandbox';

/** The fields of JWSTransactionDecodedPayload vk-pay reads (times are ms epoch, as Apple sends them). */
export interface AppleTransaction {
  transactionId: string;
  originalTransactionId: string;
  bundleId: string;
  productId: string;
  /** Consumable, Non-Consumable, Auto-Renewable Subscription, Non-Renewing Subscription */
  type: string;
  quantity: number;
  purchaseDate: number;
  signedDate: number;
  environment: string;
  appAccountToken?: string;
  expiresDate?: number;
  revocationDate?: number;
  revocationReason?: number;
  /** one id per subscription period: a renewal has a new transactionId and a new webOrderLineItemId */
  webOrderLineItemId?: string;
}

const str = (p: Record<string, unknown>, k: string, required: boolean): string | undefined => {
  const v = p[k];
  if (typeof v === 'string' && v !== '' && v.length <= 256) return v;
  if (v === undefined && !required) return undefined;
  throw new SignatureError(`App Store transaction field ${k} is missing or malformed`);
};
const num = (p: Record<string, unknown>, k: string, required: boolean): number | undefined => {
  const v = p[k];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined && !required) return undefined;
  throw new SignatureError(`App Store transaction field ${k} is missing or malformed`);
};

/** The verified payload as a transaction; a payload without the fields every transaction has is refused (40002). */
export function readTransaction(p: Record<string, unknown>): AppleTransaction {
  return {
    transactionId: str(p, 'transactionId', true) as string,
    originalTransactionId: str(p, 'originalTransactionId', true) as string,
    bundleId: str(p, 'bundleId', true) as string,
    productId: str(p, 'productId', true) as string,
    type: str(p, 'type', true) as string,
    quantity: num(p, 'quantity', false) ?? 1,
    purchaseDate: num(p, 'purchaseDate', true) as number,
    signedDate: num(p, 'signedDate', true) as number,
    environment: str(p, 'environment', true) as string,
    appAccountToken: str(p, 'appAccountToken', false),
    expiresDate: num(p, 'expiresDate', false),
    revocationDate: num(p, 'revocationDate', false),
    revocationReason: num(p, 'revocationReason', false),
    webOrderLineItemId: str(p, 'webOrderLineItemId', false),
  };
}

export interface PurchaseExpectation {
  bundleId: string;
  /** the App Store product id of the order's catalog item */
  productId: string;
  /** the order's token (appAccountToken); absent only on the legacy receipt path, which cannot carry one */
  appAccountToken?: string;
  environments: readonly AppleEnvironment[];
}

/** Refuses (40001) a genuine transaction that does not pay this order; the message names what differs, never a value. */
export function checkTransactionPaysOrder(tx: AppleTransaction, expect: PurchaseExpectation): void {
  if (tx.bundleId !== expect.bundleId) throw new ParamError('the App Store transaction is for another app (bundleId)');
  if (!(expect.environments as readonly string[]).includes(tx.environment)) throw new ParamError(`the App Store transaction's environment ${tx.environment.slice(0, 16)} is not accepted by the config`);
  if (tx.productId !== expect.productId) throw new ParamError("the App Store transaction is for another product than the order's");
  if (expect.appAccountToken !== undefined && tx.appAccountToken?.toLowerCase() !== expect.appAccountToken.toLowerCase()) {
    throw new ParamError('the App Store transaction belongs to another order (appAccountToken)');
  }
  if (tx.revocationDate !== undefined) throw new ParamError('the App Store transaction was refunded or revoked');
  if (tx.quantity !== 1) throw new ParamError('the App Store transaction buys a quantity other than 1');
}

/** vk-pay's own namespace for name-based UUIDs (RFC 4122 version 5): the per-order token is derived, not stored. */
const TOKEN_NAMESPACE = Buffer.from('6b3f1c2e9a4d4e0b8f7a2c5d1e3b9a70', 'hex');

/**
 * The per-order token that ties an App Store purchase to `out_trade_no`: a UUID, because StoreKit 2 takes an
 * appAccountToken UUID and StoreKit 1 passes an applicationUsername that is a UUID through as appAccountToken.
 * Derived from the order number (UUID v5), so any server instance recomputes it without a lookup; it is an
 * order's label, not a secret (a transaction id pays one order at most, ever, whatever the token says).
 */
export function appAccountTokenFor(outTradeNo: string): string {
  return uuidV5(TOKEN_NAMESPACE, outTradeNo);
}

/** RFC 4122 name-based UUID, version 5 (SHA-1). */
export function uuidV5(namespace: Buffer, name: string): string {
  const h = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * The App Store as a PaymentProvider. The device buys; the server never creates anything at Apple. createOrder
 * hands the client the StoreKit orderInfo with the order's token, and verifyPurchase proves a purchase from what
 * the device returned: a signed transaction (verified offline), a transaction id (fetched from the App Store
 * Server API, then verified the same way) or a legacy receipt (decoded by /verifyReceipt). Apple has no lookup
 * by our order number and refunds are the customer's to ask of Apple, so queryOrder says `pending`, closeOrder
 * has nothing to close there, and refund/queryRefund refuse (the registry marks refunds as provider-reported).
 */
import { KeyConfigError, ParamError } from '../../../../../../../common/errors';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { checkCreateInput, clockOf } from '../shared';
import type {
  CreateOrderInput, CreateOrderResult, IncomingNotification, NotificationOutcome, NotifyReply, PaymentProvider, ProviderContext,
  PurchaseProof, RefundInput, RefundResult, TradeQueryResult, VerifiedPurchase,
} from '../types';
import type { AppleiapSection } from './config';
import { parseAppleRoots, verifyAppleJws, type AppleTrust } from './jws';
import { appleNotificationOutcome } from './notify';
import { createReceiptVerifier, type ReceiptVerifier } from './receipt';
import { createServerApiClient, type ServerApiClient } from './server-api';
import { appAccountTokenFor, checkTransactionPaysOrder, readTransaction, type AppleTransaction } from './transaction';

export interface AppleiapProvider extends PaymentProvider {
  /** verifies a JWS the App Store signed (transactions, renewal info, notifications) against the configured roots */
  verifySignedData(jws: unknown): Record<string, unknown>;
  readonly section: AppleiapSection;
}

/** The in-app purchase key (.p8): an EC P-256 private key; anything else is a key configuration error (40003). */
function inAppPurchaseKey(pem: string): KeyObject {
  let key: KeyObject;
  try { key = createPrivateKey(pem); } catch { throw new KeyConfigError('serverApi.privateKeyPem is not a valid private key (PEM)'); }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new KeyConfigError('serverApi.privateKeyPem must be the in-app purchase key (EC P-256, .p8)');
  return key;
}

export function createAppleiapProvider(section: AppleiapSection, ctx: ProviderContext): AppleiapProvider {
  const now = clockOf(ctx);
  const trust: AppleTrust = { roots: parseAppleRoots(section.rootCertificates, 'rootCertificates'), now };
  const sandbox = section.environments.includes('Sandbox');
  const production = section.environments.includes('Production');
  let serverApi: ServerApiClient | undefined;
  if (section.serverApi) {
    const s = section.serverApi;
    const privateKey = inAppPurchaseKey(s.privateKeyPem);
    const baseUrls = [...(production ? [s.baseUrl] : []), ...(sandbox ? [s.sandboxBaseUrl] : [])];
    serverApi = createServerApiClient({ issuerId: s.issuerId, keyId: s.keyId, bundleId: section.bundleId, privateKey, baseUrls, now }, ctx);
  }
  let receipts: ReceiptVerifier | undefined;
  if (section.receipt) {
    const r = section.receipt;
    receipts = createReceiptVerifier({ sharedSecret: r.sharedSecret, url: production ? r.url : r.sandboxUrl, sandboxUrl: production && sandbox ? r.sandboxUrl : undefined }, ctx);
  }

  const verifySignedData = (jws: unknown) => verifyAppleJws(jws, trust).payload;

  async function transactionOf(proof: PurchaseProof, token: string): Promise<AppleTransaction> {
    if (proof.signed_transaction !== undefined) return readTransaction(verifySignedData(proof.signed_transaction));
    if (proof.transaction_id !== undefined) {
      if (!serverApi) throw new ParamError('transaction_id needs providers.appleiap.serverApi (the in-app purchase key); send signed_transaction instead');
      return readTransaction(verifySignedData(await serverApi.getSignedTransaction(proof.transaction_id)));
    }
    if (proof.receipt !== undefined) {
      if (!receipts) throw new ParamError('receipt needs providers.appleiap.receipt (the shared secret); send signed_transaction instead');
      return receipts.transactionFor(proof.receipt, token);
    }
    throw new ParamError('one of signed_transaction, transaction_id or receipt is required');
  }

  return {
    channel: 'appleiap',
    provider: 'appleiap',
    section,
    verifySignedData,

    async createOrder(input: CreateOrderInput): Promise<CreateOrderResult> {
      checkCreateInput(input);
      if (!input.product_id) throw new ParamError('an App Store order needs the product id of its catalog item (appleProductId)');
      const token = appAccountTokenFor(input.out_trade_no);
      return {
        payment: { kind: 'appleiap', orderInfo: { productid: input.product_id, quantity: 1, username: token, manualFinishTransaction: true } },
        // kept on the order: a notification finds a purchase the device never came back to verify by its token
        provider_order_id: token,
      };
    },

    async verifyPurchase(proof: PurchaseProof): Promise<VerifiedPurchase> {
      const token = appAccountTokenFor(proof.out_trade_no);
      const tx = await transactionOf(proof, token);
      checkTransactionPaysOrder(tx, { bundleId: section.bundleId, productId: proof.product_id, appAccountToken: token, environments: section.environments });
      const v: VerifiedPurchase = {
        transaction_id: tx.transactionId, original_transaction_id: tx.originalTransactionId, product_id: tx.productId, product_type: tx.type,
        paid_at: tx.purchaseDate, environment: tx.environment, merchant: { app_id: tx.bundleId },
      };
      if (tx.expiresDate !== undefined) v.expires_at = tx.expiresDate;
      return v;
    },

    // Apple cannot be asked about our order number: until the device proves a purchase, the order is pending.
    async queryOrder(out_trade_no: string): Promise<TradeQueryResult> {
      return { state: 'pending', out_trade_no, provider_state: 'AWAITING_DEVICE_PROOF' };
    },
    // Nothing exists at Apple until the person buys; a purchase proven after the close is applied as paid-after-close.
    async closeOrder(): Promise<void> {},
    async refund(_input: RefundInput): Promise<RefundResult> {
      throw new ParamError('App Store purchases are refunded by Apple at the customer\'s request; vk-pay records them from notifications');
    },
    async queryRefund(): Promise<RefundResult> {
      throw new ParamError('App Store refunds are reported by notifications, not queried');
    },
    async verifyNotification(req: IncomingNotification): Promise<NotificationOutcome> {
      return appleNotificationOutcome(req, section, verifySignedData);
    },
    notifyReply(ok: boolean): NotifyReply {
      return { statusCode: ok ? 200 : 500, headers: { 'Content-Type': 'text/plain' }, body: ok ? 'OK' : 'RETRY' };
    },
  };
}

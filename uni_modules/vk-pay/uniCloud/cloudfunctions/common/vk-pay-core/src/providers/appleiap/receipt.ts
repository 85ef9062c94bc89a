/**
 * Legacy receipts, for clients that send the app receipt instead of a signed transaction: `POST /verifyReceipt`
 * with the app-specific shared secret, production first and the sandbox when production answers status 21007
 * (a sandbox receipt) and the config accepts sandbox purchases. Apple decodes the receipt; vk-pay picks the
 * in-app entry that carries this order's token (`app_account_token`, the applicationUsername UUID) and reads it
 * as a transaction, so the same checks as for a signed transaction decide whether it pays the order.
 */
import { ParamError, SignatureError } from '../../../../../../../common/errors';
import type { HttpResponse } from '../../platform/http';
import { mapNetworkError, ProviderError } from '../error-map';
import { retrying } from '../shared';
import type { ProviderContext } from '../types';
import type { AppleTransaction } from './transaction';

interface ReceiptEntry {
  transaction_id?: unknown; original_transaction_id?: unknown; product_id?: unknown; quantity?: unknown;
  purchase_date_ms?: unknown; expires_date_ms?: unknown; cancellation_date_ms?: unknown; cancellation_reason?: unknown;
  app_account_token?: unknown; web_order_line_item_id?: unknown;
}
interface ReceiptAnswer {
  status?: unknown; environment?: unknown;
  receipt?: { bundle_id?: unknown; in_app?: ReceiptEntry[] };
  latest_receipt_info?: ReceiptEntry[];
}

/** What a status other than 0 means for the order (docs/PROTOCOLS.md section 9). */
function refusal(status: number): Error {
  switch (status) {
    case 21004: return new SignatureError('verifyReceipt: the shared secret does not match (21004)');
    case 21003: case 21010: return new SignatureError(`verifyReceipt: the receipt could not be authenticated (${status})`);
    case 21000: case 21002: return new ParamError(`verifyReceipt: the receipt is malformed (${status})`);
    case 21007: return new ParamError('verifyReceipt: a sandbox receipt, and the config does not accept Sandbox purchases (21007)');
    case 21006: return new ParamError('verifyReceipt: the subscription in this receipt has expired (21006)');
    default:
      if (status === 21005 || status === 21009 || (status >= 21100 && status <= 21199)) return new ProviderError(40010, 'appleiap', String(status), 'the receipt server is not available');
      return new ProviderError(50000, 'appleiap', String(status), 'unexpected verifyReceipt status');
  }
}

const ms = (v: unknown): number | undefined => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' && v.length <= 256 ? v : undefined);

function asTransaction(e: ReceiptEntry, bundleId: string, environment: string): AppleTransaction | undefined {
  const transactionId = text(e.transaction_id);
  const productId = text(e.product_id);
  const purchaseDate = ms(e.purchase_date_ms);
  if (!transactionId || !productId || purchaseDate === undefined) return undefined;
  const expiresDate = ms(e.expires_date_ms);
  return {
    transactionId, originalTransactionId: text(e.original_transaction_id) ?? transactionId, bundleId, productId,
    type: expiresDate !== undefined ? 'Auto-Renewable Subscription' : 'In-App Purchase',
    quantity: Number(e.quantity ?? 1), purchaseDate, signedDate: purchaseDate, environment,
    appAccountToken: text(e.app_account_token), expiresDate, revocationDate: ms(e.cancellation_date_ms),
    revocationReason: ms(e.cancellation_reason), webOrderLineItemId: text(e.web_order_line_item_id),
  };
}

export interface ReceiptVerifier {
  /** the receipt's entry bought with this token (the earliest, when renewals carry it too) */
  transactionFor(receipt: string, appAccountToken: string): Promise<AppleTransaction>;
}

export function createReceiptVerifier(opts: { sharedSecret: string; url: string; sandboxUrl?: string }, ctx: ProviderContext): ReceiptVerifier {
  async function post(url: string, receipt: string): Promise<ReceiptAnswer> {
    const body = JSON.stringify({ 'receipt-data': receipt, password: opts.sharedSecret, 'exclude-old-transactions': true });
    const res = await retrying(ctx, undefined, async ({ timeoutMs }) => {
      let r: HttpResponse;
      try { r = await ctx.http({ method: 'POST', url, headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body, timeoutMs }); } catch (err) { throw mapNetworkError('appleiap', err); }
      if (r.status >= 500) throw new ProviderError(40010, 'appleiap', `HTTP_${r.status}`, r.body.slice(0, 200), r.status);
      if (r.status !== 200) throw new ProviderError(50000, 'appleiap', `HTTP_${r.status}`, r.body.slice(0, 200), r.status);
      return r;
    });
    try { return JSON.parse(res.body) as ReceiptAnswer; } catch { throw new ProviderError(50000, 'appleiap', 'BAD_JSON', 'verifyReceipt answered something that is not JSON'); }
  }
  return {
    async transactionFor(receipt, appAccountToken) {
      if (typeof receipt !== 'string' || !/^[A-Za-z0-9+/=\r\n]{20,}$/.test(receipt) || receipt.length > 512 * 1024) throw new ParamError('receipt must be the base64 app receipt');
      let answer = await post(opts.url, receipt);
      if (answer.status === 21007 && opts.sandboxUrl) answer = await post(opts.sandboxUrl, receipt);
      if (answer.status !== 0) throw refusal(typeof answer.status === 'number' ? answer.status : -1);
      const bundleId = text(answer.receipt?.bundle_id) ?? '';
      const environment = answer.environment === 'Sandbox' ? 'Sandbox' : 'Production';
      const entries = [...(answer.receipt?.in_app ?? []), ...(answer.latest_receipt_info ?? [])];
      const token = appAccountToken.toLowerCase();
      const mine = entries
        .map((e) => asTransaction(e, bundleId, environment))
        .filter((t): t is AppleTransaction => Boolean(t && t.appAccountToken?.toLowerCase() === token))
        .sort((a, b) => a.purchaseDate - b.purchaseDate);
      if (!mine[0]) throw new ParamError('the receipt holds no purchase made for this order (app_account_token)');
      return mine[0];
    },
  };
}

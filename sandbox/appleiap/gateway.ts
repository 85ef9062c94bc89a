/**
 * The sandbox App Store's server endpoints, mounted at /sandbox/appleiap/. As with Apple, production and the
 * sandbox are two hosts: `/sandbox/appleiap/...` plays production and `/sandbox/appleiap/sandbox/...` the
 * sandbox environment. Every purchase here is a sandbox purchase, so production answers as Apple's does for
 * one: Server API 404 (errorCode 4040010), /verifyReceipt status 21007.
 *   GET  [sandbox/]inApps/v1/transactions/{transactionId}  -> {signedTransactionInfo}   (ES256 JWT auth)
 *   POST [sandbox/]verifyReceipt                           -> {status, environment, receipt, latest_receipt_info}
 */
import { timingSafeEqual } from 'node:crypto';
import type { GatewayRequest } from '../context';
import { sendJson } from '../http-io';
import { receiptEntry, signTransaction, SUBSCRIPTION, type AppleBooks } from './books';
import type { AppleSandboxCredentials } from './credentials';
import { checkServerApiAuth } from './server-auth';

export interface AppleGatewayContext {
  creds: AppleSandboxCredentials;
  books: () => AppleBooks;
  now: () => number;
}

const sameSecret = (a: unknown, b: string): boolean => {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export async function handleApple(ctx: AppleGatewayContext, r: GatewayRequest): Promise<void> {
  const m = /^(\/sandbox)?(\/.*)$/.exec(r.subPath);
  const sandboxHost = Boolean(m?.[1]);
  const route = m?.[2] ?? '';
  const tx = /^\/inApps\/v1\/transactions\/([^/]+)$/.exec(route);
  if (tx && r.method === 'GET') return getTransaction(ctx, r, decodeURIComponent(tx[1]), sandboxHost);
  if (route === '/verifyReceipt' && r.method === 'POST') return verifyReceipt(ctx, r, sandboxHost);
  return sendJson(r.res, 404, { errorCode: 4040000, errorMessage: `no App Store route ${r.subPath}` });
}

function getTransaction(ctx: AppleGatewayContext, r: GatewayRequest, id: string, sandboxHost: boolean): void {
  const why = checkServerApiAuth(r.req.headers.authorization, { ...ctx.creds.serverApi, bundleId: ctx.creds.bundleId }, ctx.now());
  if (why) { r.res.writeHead(401, { 'x-sandbox-reason': why }); r.res.end(); return; }
  if (!/^\d{1,32}$/.test(id)) return sendJson(r.res, 400, { errorCode: 4000006, errorMessage: 'Invalid transaction id.' });
  const t = ctx.books().transactions[id];
  if (!t || !sandboxHost) return sendJson(r.res, 404, { errorCode: 4040010, errorMessage: 'Transaction id not found.' });
  return sendJson(r.res, 200, { signedTransactionInfo: signTransaction(t, ctx.creds.bundleId, ctx.creds.pki, ctx.now()) });
}

function verifyReceipt(ctx: AppleGatewayContext, r: GatewayRequest, sandboxHost: boolean): void {
  let body: Record<string, unknown>;
  try { body = JSON.parse(r.rawBody); } catch { return sendJson(r.res, 200, { status: 21000 }); }
  const data = body?.['receipt-data'];
  if (typeof data !== 'string' || data === '') return sendJson(r.res, 200, { status: 21002 });
  const ids = ctx.books().receipts[data];
  if (!ids) return sendJson(r.res, 200, { status: 21003, environment: sandboxHost ? 'Sandbox' : 'Production' });
  if (!sandboxHost) return sendJson(r.res, 200, { status: 21007, environment: 'Production' });
  const txs = ids.map((id) => ctx.books().transactions[id]).filter(Boolean);
  const hasSubscription = txs.some((t) => t.type === SUBSCRIPTION);
  const password = body.password;
  if ((password !== undefined || hasSubscription) && !sameSecret(password, ctx.creds.sharedSecret)) return sendJson(r.res, 200, { status: 21004, environment: 'Sandbox' });
  const in_app = txs.map(receiptEntry);
  const answer: Record<string, unknown> = {
    status: 0, environment: 'Sandbox',
    receipt: { receipt_type: 'ProductionSandbox', bundle_id: ctx.creds.bundleId, request_date_ms: String(ctx.now()), in_app },
  };
  if (hasSubscription) answer.latest_receipt_info = in_app.filter((e) => e.expires_date_ms !== undefined);
  return sendJson(r.res, 200, answer);
}

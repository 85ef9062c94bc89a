/** What every gateway module of the sandbox shares: keys, the books, the notifier and the clock. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxCredentials } from './credentials';
import type { LoginCodes } from './login-codes';
import type { Ledger } from './ledger';
import type { Payouts } from './payouts';
import type { AuthCodes } from './auth-codes';
import type { SandboxState } from './state';

export interface GatewayContext {
  creds: SandboxCredentials;
  ledger: Ledger;
  /** payouts (transfer bills, fund transfers) */
  payouts: Payouts;
  /** payment codes shown to payers, for scanned payments */
  codes: AuthCodes;
  state: SandboxState;
  /** origin the sandbox is reached at, without a trailing slash (cashier links, QR codes) */
  publicBaseUrl: string;
  now: () => number;
  /** login codes handed out by /sandbox/control/login-code and redeemed by the login exchanges */
  logins: LoginCodes;
  /** v2 /secapi/ calls must carry this merchant's client certificate (mutual TLS) */
  requireClientCert: boolean;
}

/** One request as a gateway module sees it: the path after its mount point, and the raw body. */
export interface GatewayRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** the full path + query exactly as received (what WeChat v3 clients sign) */
  rawUrl: string;
  /** path below the channel's mount, e.g. /v3/pay/transactions/native */
  subPath: string;
  query: URLSearchParams;
  rawBody: string;
}

export function cashierUrl(ctx: GatewayContext, channel: string, outTradeNo: string): string {
  return `${ctx.publicBaseUrl}/sandbox/cashier/${channel}/${encodeURIComponent(outTradeNo)}`;
}

/** A signature with one byte flipped: still valid base64, never a valid signature (tamper: signature). */
export function corruptSignature(b64: string): string {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length === 0) return 'AAAA';
  buf[0] ^= 0xff;
  return buf.toString('base64');
}

/**
 * The App Store Server API as vk-pay uses it: `GET /inApps/v1/transactions/{transactionId}` answers
 * `{signedTransactionInfo}` (a JWS verified like the device's), authorized by a fresh ES256 JWT signed with the
 * in-app purchase key. A transaction id unknown to production is looked up in the sandbox when the config
 * accepts sandbox purchases (Apple's advice when the environment is not known).
 */
import { randomUUID, sign, type KeyObject } from 'node:crypto';
import { KeyConfigError, ParamError, SignatureError } from '../../../../../../../common/errors';
import type { HttpResponse } from '../../platform/http';
import { mapNetworkError, ProviderError } from '../error-map';
import { joinUrl, retrying } from '../shared';
import type { ProviderContext } from '../types';

export interface ServerApiJwtInput {
  issuerId: string;
  keyId: string;
  bundleId: string;
  privateKey: KeyObject;
  /** ms epoch */
  now: number;
}

/** Apple caps a token's life at one hour; a call needs seconds, so five minutes leaves room for clock skew. */
const TOKEN_LIFE_S = 300;

/** The bearer token of one Server API call (header alg/kid/typ; claims iss, iat, exp, aud, bid, nonce). */
export function serverApiJwt(i: ServerApiJwtInput): string {
  const iat = Math.floor(i.now / 1000);
  const head = Buffer.from(JSON.stringify({ alg: 'ES256', kid: i.keyId, typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify({ iss: i.issuerId, iat, exp: iat + TOKEN_LIFE_S, aud: 'appstoreconnect-v1', bid: i.bundleId, nonce: randomUUID() })).toString('base64url');
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: i.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${sig.toString('base64url')}`;
}

/** Apple's error codes for an id it does not hold (TransactionIdNotFoundError, InvalidTransactionIdError). */
const NOT_FOUND = new Set([4040010, 4000006]);

function errorCode(body: string): number | undefined {
  try { const v = JSON.parse(body) as { errorCode?: unknown }; return typeof v.errorCode === 'number' ? v.errorCode : undefined; } catch { return undefined; }
}

function mapServerApiError(res: HttpResponse): ProviderError {
  const code = errorCode(res.body);
  const text = res.body.slice(0, 200);
  if (res.status === 401) return new ProviderError(40003, 'appleiap', 'UNAUTHORIZED', 'the App Store Server API refused the in-app purchase key', 401);
  if (res.status === 429) return new ProviderError(40008, 'appleiap', String(code ?? 'RATE_LIMIT'), text, 429);
  if (res.status >= 500) return new ProviderError(40010, 'appleiap', String(code ?? `HTTP_${res.status}`), text, res.status);
  if (code !== undefined && NOT_FOUND.has(code)) return new ProviderError(40005, 'appleiap', String(code), 'transaction id not found', res.status);
  return new ProviderError(40001, 'appleiap', String(code ?? `HTTP_${res.status}`), text, res.status);
}

export interface ServerApiClient {
  /** the signedTransactionInfo JWS of a transaction id (not yet verified: the caller verifies it) */
  getSignedTransaction(transactionId: string): Promise<string>;
}

export function createServerApiClient(opts: {
  issuerId: string; keyId: string; bundleId: string; privateKey: KeyObject; baseUrls: string[]; now: () => number;
}, ctx: ProviderContext): ServerApiClient {
  if (opts.baseUrls.length === 0) throw new KeyConfigError('serverApi: no base URL for the accepted environments');
  async function once(baseUrl: string, transactionId: string): Promise<string> {
    const url = joinUrl(baseUrl, `/inApps/v1/transactions/${encodeURIComponent(transactionId)}`);
    const res = await retrying(ctx, undefined, async ({ timeoutMs }) => {
      let r: HttpResponse;
      try {
        r = await ctx.http({ method: 'GET', url: url.toString(), headers: { Authorization: `Bearer ${serverApiJwt({ ...opts, now: opts.now() })}`, Accept: 'application/json' }, timeoutMs });
      } catch (err) {
        throw mapNetworkError('appleiap', err);
      }
      if (r.status !== 200) throw mapServerApiError(r);
      return r;
    });
    let info: unknown;
    try { info = (JSON.parse(res.body) as { signedTransactionInfo?: unknown }).signedTransactionInfo; } catch { info = undefined; }
    if (typeof info !== 'string') throw new SignatureError('the App Store Server API answer carries no signedTransactionInfo');
    return info;
  }
  return {
    async getSignedTransaction(transactionId) {
      if (!/^\d{1,32}$/.test(transactionId)) throw new ParamError('transaction_id must be the App Store transaction id (digits)');
      let last: unknown;
      for (const base of opts.baseUrls) {
        try { return await once(base, transactionId); } catch (err) {
          last = err;
          if (!(err instanceof ProviderError && err.code === 40005)) throw err;
        }
      }
      throw last;
    },
  };
}

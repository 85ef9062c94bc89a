/**
 * The day's trade bill over API v3 (docs/PROTOCOLS.md section 8): GET /v3/bill/tradebill answers a SHA1 and a
 * short-lived download URL; the file is fetched with another signed GET (its answer is the raw gzip, not a
 * signed JSON body, so the hash is what proves it) and checked against the SHA1 before it is parsed. The
 * download URL must be on the gateway's own origin: a signed request is never sent anywhere else.
 */
import { ProviderError, mapNetworkError, mapWxpayV3Error } from '../error-map';
import { clockOf, joinUrl, retrying } from '../shared';
import type { ProviderContext } from '../types';
import type { ResolvedWxpayConfig } from './config';
import { partnerOf } from './partner';
import { createNonce, signV3Request } from './signing';
import { USER_AGENT, type WxpayCall } from './transport';
import { parseWxpayBill, wxpayBillBytes, wxpayBillHashMatches } from '../../statements/wxpay-bill';
import { StatementFormatError, type StatementAnswer } from '../../statements/types';

/** WeChat's answers for a bill that is not there: not made yet, or being made (a day without trades has none). */
const NOT_YET = new Set(['NO_STATEMENT_EXIST', 'STATEMENT_CREATING']);

export function createWxpayStatementDownload(r: ResolvedWxpayConfig, ctx: ProviderContext, call: WxpayCall) {
  const now = clockOf(ctx);
  const origin = joinUrl(r.baseUrl, '/').origin;

  async function download(downloadUrl: string): Promise<Uint8Array> {
    const url = new URL(downloadUrl);
    if (url.origin !== origin) throw new StatementFormatError(`download_url is not on the gateway's origin (${url.origin})`);
    return retrying(ctx, r.config.retry, async ({ timeoutMs }) => {
      const authorization = signV3Request({
        method: 'GET', pathWithQuery: url.pathname + url.search, body: '', mchid: r.config.mchId, serialNo: r.config.merchant.serialNo,
        privateKey: r.merchantKey, timestamp: Math.floor(now() / 1000), nonce: createNonce(),
      });
      let res;
      try {
        res = await ctx.http({ method: 'GET', url: url.toString(), headers: { Authorization: authorization, Accept: '*/*', 'User-Agent': USER_AGENT }, timeoutMs, responseType: 'bytes' });
      } catch (err) {
        throw mapNetworkError('wxpay', err);
      }
      if (res.status < 200 || res.status >= 300) throw mapWxpayV3Error(res.status, Buffer.from(res.bytes ?? new Uint8Array(0)).toString('utf8'));
      return res.bytes ?? new Uint8Array(0);
    });
  }

  return async function downloadStatement(date: string): Promise<StatementAnswer> {
    let answer: Record<string, unknown>;
    try {
      // a service provider asks for its sub-merchant's trades only (partner.ts); a direct merchant gets its own
      const sub = partnerOf(r.config)?.sub_mchid;
      const res = await call('GET', `/v3/bill/tradebill?bill_date=${encodeURIComponent(date)}${sub ? `&sub_mchid=${encodeURIComponent(sub)}` : ''}&bill_type=ALL&tar_type=GZIP`);
      answer = JSON.parse(res.body) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof ProviderError && NOT_YET.has(err.providerCode)) return { state: 'pending', reason: err.providerCode, maybeEmpty: err.providerCode === 'NO_STATEMENT_EXIST' };
      if (err instanceof SyntaxError) throw new StatementFormatError('tradebill answer is not JSON');
      throw err;
    }
    const { hash_type: hashType, hash_value: hashValue, download_url: downloadUrl } = answer;
    if (typeof hashType !== 'string' || typeof hashValue !== 'string' || typeof downloadUrl !== 'string') throw new StatementFormatError('tradebill answer lacks hash_type, hash_value or download_url');
    const plain = wxpayBillBytes(await download(downloadUrl), true);
    if (!wxpayBillHashMatches(plain, hashType, hashValue)) throw new StatementFormatError(`the bill's ${hashType} does not match the hash WeChat gave`);
    return { state: 'ready', statement: parseWxpayBill(new TextDecoder('utf-8', { fatal: true }).decode(plain)) };
  };
}

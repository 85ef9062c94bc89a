/**
 * The day's trade bill from Alipay (docs/PROTOCOLS.md section 8): alipay.data.dataservice.bill.downloadurl.query
 * (a signed gateway call whose answer is verified like every other) names a download URL valid for about 30 s;
 * the file behind it is a zip of GBK CSV files, fetched with a plain GET (Alipay signs no file and gives no
 * hash: the signed answer that named the URL and the detail file's own count line are what there is).
 */
import { ProviderError, mapNetworkError } from '../error-map';
import { retrying } from '../shared';
import type { ProviderContext } from '../types';
import type { ResolvedAlipayConfig } from './config';
import type { AlipayExec } from './transport';
import { parseAlipayBillZip } from '../../statements/alipay-bill';
import { StatementFormatError, type StatementAnswer } from '../../statements/types';

/** Alipay's words for a bill that is not there (not made yet, or no trade that day). */
const NOT_YET = new Set(['isp.bill_not_exist', 'BILL_NOT_EXIST', 'isp.BILL_NOT_EXIST']);

export function createAlipayStatementDownload(r: ResolvedAlipayConfig, ctx: ProviderContext, exec: AlipayExec) {
  return async function downloadStatement(date: string): Promise<StatementAnswer> {
    let url: unknown;
    try {
      url = (await exec('alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: date })).bill_download_url;
    } catch (err) {
      if (err instanceof ProviderError && err.verified && NOT_YET.has(err.providerCode)) return { state: 'pending', reason: err.providerCode, maybeEmpty: true };
      throw err;
    }
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new StatementFormatError('the answer names no bill_download_url');
    const zip = await retrying(ctx, r.config.retry, async ({ timeoutMs }) => {
      let res;
      try {
        res = await ctx.http({ method: 'GET', url, headers: { Accept: '*/*' }, timeoutMs, responseType: 'bytes' });
      } catch (err) {
        throw mapNetworkError('alipay', err);
      }
      if (res.status !== 200) throw new ProviderError(res.status >= 500 ? 40010 : 50000, 'alipay', `HTTP_${res.status}`, 'bill download failed', res.status);
      return res.bytes ?? new Uint8Array(0);
    });
    return { state: 'ready', statement: parseAlipayBillZip(zip) };
  };
}

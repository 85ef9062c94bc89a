/**
 * The day's trade bill over v2 (docs/PROTOCOLS.md section 8): `POST /pay/downloadbill`, signed like every v2
 * call, answers the bill text itself (the same layout as v3's) - not XML, not signed, no hash: the bill's own
 * summary row (its row count) is the check. A failure is the usual XML with return_code FAIL; "No Bill Exist"
 * (error_code 20002) is a day not published yet, or without trades.
 */
import { mapNetworkError, mapWxpayV2Error } from '../error-map';
import { joinUrl, retrying } from '../shared';
import type { ProviderContext } from '../types';
import type { ResolvedWxpayV2Config } from './config';
import { createNonceV2 } from './nonce';
import { signV2 } from './signing';
import { buildV2Xml, parseV2Xml } from './xml';
import { parseWxpayBill } from '../../statements/wxpay-bill';
import { StatementFormatError, type StatementAnswer } from '../../statements/types';

const NO_BILL = /no bill exist|账单不存在/i;

export function createWxpayV2StatementDownload(r: ResolvedWxpayV2Config, ctx: ProviderContext) {
  return async function downloadStatement(date: string): Promise<StatementAnswer> {
    const url = joinUrl(r.baseUrl, '/pay/downloadbill');
    const text = await retrying(ctx, r.config.retry, async ({ timeoutMs }) => {
      const params: Record<string, string | undefined> = { appid: r.config.appId, mch_id: r.config.mchId, bill_date: date.replace(/-/g, ''), bill_type: 'ALL', nonce_str: createNonceV2() };
      if (r.signType !== 'MD5') params.sign_type = r.signType;
      params.sign = signV2(params, r.key, r.signType);
      let res;
      try {
        res = await ctx.http({ method: 'POST', url: url.toString(), timeoutMs, body: buildV2Xml(params), headers: { 'Content-Type': 'text/xml; charset=utf-8' }, responseType: 'bytes' });
      } catch (err) {
        throw mapNetworkError('wxpay-v2', err);
      }
      const body = Buffer.from(res.bytes ?? new Uint8Array(0)).toString('utf8');
      if (res.status !== 200) throw mapWxpayV2Error(`HTTP_${res.status}`, body.slice(0, 200), res.status);
      return body;
    });
    if (text.trimStart().startsWith('<xml')) {
      const answer = parseV2Xml(text);
      const message = answer.return_msg ?? '';
      if (answer.error_code === '20002' || NO_BILL.test(message)) return { state: 'pending', reason: message || 'No Bill Exist', maybeEmpty: true };
      throw mapWxpayV2Error(answer.error_code ?? answer.return_code ?? 'FAIL', message);
    }
    if (text.includes('\uFFFD')) throw new StatementFormatError('the bill is not UTF-8 text');
    return { state: 'ready', statement: parseWxpayBill(text) };
  };
}

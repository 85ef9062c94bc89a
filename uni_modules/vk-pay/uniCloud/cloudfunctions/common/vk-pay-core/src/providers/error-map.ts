/**
 * The ONE place where what a gateway says goes wrong becomes a code of the shared table (common/errors.ts).
 * The provider's own code and message stay on the error (providerCode/providerMessage, and in `detail`).
 * Retrying is decided from the mapped code alone: 40004 (network), 40008 (rate limited) and 40010 (system busy)
 * are the table's retryable entries, which are exactly the failures worth another attempt.
 */
import { GatewayNetworkError, VkPayError, type ErrorCode } from '../../../../../../common/errors';
import type { Channel, TradeQueryResult } from './types';

type Code = Exclude<ErrorCode, 0>;

/** An error a gateway answered with, mapped onto the table. */
export class ProviderError extends VkPayError {
  readonly channel: Channel;
  readonly providerCode: string;
  readonly providerMessage: string;
  readonly httpStatus: number | undefined;
  /** false when the answer carried no verifiable signature (e.g. Alipay's unsigned error_response): such an
   * answer may fail a call but must never be read as a fact about an order (not found, closed, ...). */
  readonly verified: boolean;
  /** for a close refused because the order is paid: the provider's answer about the order, asked once by the
   * close itself, so that the caller applies the payment without asking again */
  answer?: TradeQueryResult;
  constructor(code: Code, channel: Channel, providerCode: string, providerMessage: string, httpStatus?: number, verified = true) {
    super(code, `${channel} ${providerCode}${providerMessage ? `: ${providerMessage}` : ''}${httpStatus ? ` (HTTP ${httpStatus})` : ''}`);
    this.name = 'ProviderError';
    this.channel = channel;
    this.providerCode = providerCode;
    this.providerMessage = providerMessage;
    this.httpStatus = httpStatus;
    this.verified = verified;
  }
}

/** WeChat Pay v3 business codes (docs/PROTOCOLS.md sections 2 and 5) and their v2 spellings (no underscores). */
const WECHAT_CODES: Record<string, Code> = {
  PARAM_ERROR: 40001, INVALID_REQUEST: 40001, APPID_MCHID_NOT_MATCH: 40001, MCH_NOT_EXISTS: 40001,
  OPENID_MISMATCH: 40001, ORDER_CLOSED: 40001, ORDERCLOSED: 40001, OUT_TRADE_NO_USED: 40001, LACK_PARAMS: 40001,
  XML_FORMAT_ERROR: 40001, REQUIRE_POST_METHOD: 40001, POST_DATA_EMPTY: 40001, NOT_UTF8: 40001, INVALID_TRANSACTIONID: 40001,
  APPID_NOT_EXIST: 40001, MCHID_NOT_EXIST: 40001, REFUND_FEE_INVALID: 40001, ERROR: 40001, INVALID_REQ_TOO_MUCH: 40001,
  // payment codes (v2 micropay): the payer's code cannot pay; err_code_des says why in the payer's words
  AUTHCODEEXPIRE: 40001, AUTH_CODE_INVALID: 40001, AUTH_CODE_ERROR: 40001, NOTSUPORTCARD: 40001, BUYER_MISMATCH: 40001,
  ORDERREVERSED: 40001,
  SIGN_ERROR: 40002, SIGNERROR: 40002,
  CERT_ERROR: 40003,
  ORDER_NOT_EXIST: 40005, ORDERNOTEXIST: 40005, RESOURCE_NOT_EXISTS: 40005, REFUNDNOTEXIST: 40005,
  ORDERPAID: 40006, ORDER_PAID: 40006, TRADE_STATE_PAID: 40006,
  NOT_ENOUGH: 40007, NOTENOUGH: 40007,
  FREQUENCY_LIMITED: 40008, RATELIMIT_EXCEEDED: 40008, RATE_LIMITED: 40008, FREQ_LIMIT: 40008,
  NO_AUTH: 40009, NOAUTH: 40009, ACCOUNT_ERROR: 40009, RULE_LIMIT: 40009, RULELIMIT: 40009, TRADE_ERROR: 40009,
  USER_ACCOUNT_ABNORMAL: 40009,
  SYSTEM_ERROR: 40010, SYSTEMERROR: 40010, SERVICE_UNAVAILABLE: 40010, BANK_ERROR: 40010, BANKERROR: 40010,
};

/** Alipay sub_codes (docs/PROTOCOLS.md sections 4 and 5); `aop.` prefixed variants are looked up without the prefix. */
const ALIPAY_SUB_CODES: Record<string, Code> = {
  'ACQ.INVALID_PARAMETER': 40001, 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL': 40001, 'ACQ.REASON_TRADE_REFUND_FEE_ERR': 40001,
  'ACQ.TRADE_HAS_CLOSE': 40001, 'ACQ.TRADE_STATUS_ERROR': 40001, 'ACQ.CONTEXT_INCONSISTENT': 40001,
  'ACQ.TOTAL_FEE_EXCEED': 40001, 'ACQ.EXIST_FORBIDDEN_WORD': 40001, 'ACQ.TRADE_HAS_FINISHED': 40001,
  // alipay.system.oauth.token: an unknown, expired, reused or foreign auth code
  'isv.code-invalid': 40001, 'isv.invalid-auth-code': 40001,
  'isv.invalid-signature': 40002, 'isv.invalid-signature-type': 40002,
  'isv.invalid-app-id': 40003, 'isv.app-unbind-partner': 40003, 'isv.invalid-cert': 40003,
  // alipay.trade.create for a mini program names an app that is none (third-party app mode without the merchant's
  // mini program): the config, not the payer, must change (docs/PROTOCOLS.md section 4)
  'ACQ.OPEN_ID_NOT_TINY_APP': 40003,
  // certificate mode: the SNs sent do not name this app's certificate or Alipay's root (docs/PROTOCOLS.md section 4)
  'isv.app-cert-not-exist': 40003, 'isv.invalid-alipay-root-cert-sn': 40003, 'isv.missing-app-cert-sn': 40003,
  'isv.missing-alipay-root-cert-sn': 40003, 'isv.app-cert-expired': 40003, 'isv.alipay-cert-not-exist': 40003,
  'ACQ.TRADE_NOT_EXIST': 40005,
  'ACQ.TRADE_HAS_SUCCESS': 40006,
  'ACQ.SELLER_BALANCE_NOT_ENOUGH': 40007, 'ACQ.BUYER_BALANCE_NOT_ENOUGH': 40007,
  'ACQ.ACCESS_FORBIDDEN': 40009, 'isv.insufficient-isv-permissions': 40009,
  'aop.invalid-auth-token': 40009, 'aop.invalid-app-auth-token': 40009,
  'ACQ.SYSTEM_ERROR': 40010, 'isp.unknow-error': 40010, 'aop.unknow-error': 40010, 'isp.unknown-error': 40010,
  // fund transfers (alipay.fund.trans.*, docs/PROTOCOLS.md section 10.2): refusals are definite, SYSTEM_ERROR is not
  // payment codes (alipay.trade.pay): the payer's code is not usable; the sub_msg says so in the payer's words
  'ACQ.PAYMENT_AUTH_CODE_INVALID': 40001, 'ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR': 40001, 'ACQ.PAYMENT_FAIL': 40001,
  PAYEE_NOT_EXIST: 40001, PAYEE_USER_INFO_ERROR: 40001, PAYEE_ACC_OCUPIED: 40001, EXCEED_LIMIT_SM_AMOUNT: 40001,
  EXCEED_LIMIT_DM_AMOUNT: 40001, INVALID_PARAMETER: 40001, PARAM_ILLEGAL: 40001, PAYER_BALANCE_NOT_ENOUGH: 40007,
  BALANCE_IS_NOT_ENOUGH: 40007, PERMIT_CHECK_PERM_LIMITED: 40009, ORDER_NOT_EXIST: 40005, SYSTEM_ERROR: 40010,
};

/**
 * WeChat's open-platform errcodes of the login-code exchanges (jscode2session, sns/oauth2/access_token;
 * docs/PROTOCOLS.md section 7). A bad, expired, reused or foreign code is the caller's input (40001); a wrong
 * appid or secret is our configuration (40003); a blocked user is refused (40009).
 */
const WECHAT_LOGIN_CODES: Record<string, Code> = {
  '40029': 40001, '40163': 40001, '41008': 40001, '40002': 40001,
  '40013': 40003, '40125': 40003, '41002': 40003, '41004': 40003, '40164': 40003,
  '40226': 40009, '45011': 40008, '-1': 40010,
};

/** A WeChat login exchange answered `{errcode, errmsg}`. */
export function mapWechatLoginError(channel: Channel, errcode: string, errmsg: string, httpStatus?: number): ProviderError {
  const code = WECHAT_LOGIN_CODES[errcode] ?? (httpStatus && httpStatus >= 500 ? 40010 : 40001);
  return new ProviderError(code, channel, errcode, errmsg.slice(0, 200), httpStatus);
}

/** Gateway `code` classes when the sub_code is unknown. */
const ALIPAY_CODES: Record<string, Code> = {
  '20000': 40010, '20001': 40009, '40001': 40001, '40002': 40001, '40004': 50000, '40006': 40009,
};

function byHttpStatus(status: number): Code {
  if (status === 400) return 40001;
  if (status === 401) return 40002;
  if (status === 403) return 40009;
  if (status === 404) return 40005;
  if (status === 429) return 40008;
  if (status >= 500) return 40010;
  return 50000;
}

/** A non-2xx WeChat v3 answer: `{code, message}` body if any, else the HTTP status class decides. */
export function mapWxpayV3Error(status: number, rawBody: string): ProviderError {
  let code = '';
  let message = '';
  try {
    const body = JSON.parse(rawBody) as { code?: unknown; message?: unknown };
    if (typeof body.code === 'string') code = body.code;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    message = rawBody.slice(0, 200);
  }
  // A 5xx is retryable whatever code it carries (OPENID_MISMATCH excepted: a 500 that is really a bad parameter).
  const mapped = WECHAT_CODES[code] ?? byHttpStatus(status);
  const finalCode = status >= 500 && mapped !== 40001 ? 40010 : status === 429 ? 40008 : mapped;
  return new ProviderError(finalCode, 'wxpay', code || `HTTP_${status}`, message, status);
}

/** A v2 answer: `return_code=FAIL` (communication) or `result_code=FAIL` with `err_code`. */
export function mapWxpayV2Error(errCode: string, message: string, httpStatus?: number): ProviderError {
  const code = WECHAT_CODES[errCode] ?? (httpStatus && httpStatus >= 500 ? 40010 : /签名/.test(message) ? 40002 : 50000);
  return new ProviderError(code, 'wxpay-v2', errCode || 'FAIL', message, httpStatus);
}

/** An Alipay answer with code != 10000 (sub_code first, then the gateway code class). */
export function mapAlipayError(code: string, msg: string, subCode?: string, subMsg?: string, verified = true): ProviderError {
  const sub = subCode ?? '';
  const mapped = ALIPAY_SUB_CODES[sub] ?? ALIPAY_SUB_CODES[sub.replace(/^aop\./, '')] ?? ALIPAY_CODES[code] ?? 50000;
  return new ProviderError(mapped, 'alipay', sub || code, [msg, subMsg].filter(Boolean).join(' / '), undefined, verified);
}

/** A non-200 HTTP answer from the Alipay gateway (it normally answers 200 with a code inside). */
export function mapAlipayHttpError(status: number, rawBody: string): ProviderError {
  return new ProviderError(status >= 500 ? 40010 : status === 429 ? 40008 : 50000, 'alipay', `HTTP_${status}`, rawBody.slice(0, 200), status);
}

/** Anything the HTTP client threw (refused, reset, DNS, timeout) is a network error, 40004, retryable. */
export function mapNetworkError(channel: Channel, err: unknown): VkPayError {
  if (err instanceof VkPayError) return err;
  const e = err as { name?: string; message?: string; code?: string };
  const what = e?.name === 'TimeoutError' || e?.name === 'AbortError' ? 'timeout' : e?.code ?? e?.message ?? String(err);
  return new GatewayNetworkError(`${channel}: ${what}`, { cause: err });
}

/** True for the failures a retry can fix (the table's retryable codes). */
export function isRetryable(err: unknown): boolean {
  return err instanceof VkPayError && err.retryable;
}

/** The gateway refused with one of these provider codes (SYSTEMERROR, ORDERPAID, ...). */
export function hasProviderCode(err: unknown, ...codes: string[]): err is ProviderError {
  return err instanceof ProviderError && codes.includes(err.providerCode);
}

/** A close refused because the order turned out paid (found by the follow-up query): 40006. */
export function paidOnClose(channel: Channel, refused: ProviderError, answer: TradeQueryResult): ProviderError {
  const code = channel === 'alipay' ? 'ACQ.TRADE_HAS_SUCCESS' : 'ORDERPAID';
  const err = new ProviderError(40006, channel, code, `close refused (${refused.providerCode}); order is ${answer.provider_state ?? 'paid'}`, refused.httpStatus);
  err.answer = answer;
  return err;
}

/**
 * A close the gateway refused says little by itself (ORDERPAID is v2-only; Alipay answers several codes): the
 * order's state at the provider decides (docs/PROTOCOLS.md section 2). Closed or unknown there -> the close stands; paid (or
 * refunded, so once paid) -> 40006; anything else, or a refusal a retry could fix -> the refusal itself.
 */
export async function resolveRefusedClose(channel: Channel, refused: unknown, query: () => Promise<TradeQueryResult>): Promise<void> {
  if (!(refused instanceof ProviderError) || refused.retryable) throw refused;
  const q = await query();
  if (q.state === 'closed' || q.state === 'not_found') return;
  if (q.state === 'paid' || q.state === 'refunded') throw paidOnClose(channel, refused, q);
  throw refused;
}

/** A refund query answer that does not list the refund asked for: 40005. */
export function refundNotListed(channel: Channel, outRefundNo: string): ProviderError {
  return new ProviderError(40005, channel, 'REFUNDNOTEXIST', `refund ${outRefundNo} not in the refund query answer`);
}

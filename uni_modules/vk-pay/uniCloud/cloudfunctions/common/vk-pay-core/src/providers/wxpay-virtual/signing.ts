/**
 * WeChat mini-program virtual payment signatures (docs/PROTOCOLS.md section 12), as small pure functions over the
 * exact bytes. Shared by the provider (which signs) and the sandbox (which checks what WeChat checks), so each
 * side builds the signed text with the same builder but verifies independently.
 *
 * Three HMAC-SHA256 signatures, all lower-case hex:
 * - paySig    = HMAC(AppKey,      'requestVirtualPayment&' + signData)   the client call, proves our server
 * - signature = HMAC(session_key, signData)                              the client call, proves the user's session
 * - pay_sig   = HMAC(AppKey,      uri + '&' + body)                      every server API (uri without query)
 * The AppKey is the one of the environment named by `env` (0 production, 1 sandbox): WeChat issues two.
 * The keys are used as their UTF-8 text (the session_key's base64 text, not its decoded bytes), as in WeChat's
 * reference code.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ParamError } from '../../../../../../../common/errors';

export type VirtualPayMode = 'short_series_goods' | 'short_series_coin';
export const VIRTUAL_PAY_MODES: readonly VirtualPayMode[] = ['short_series_goods', 'short_series_coin'];
/** 0 = WeChat's production environment, 1 = its sandbox environment (signData `env`, server API `env`). */
export type VirtualPayEnv = 0 | 1;

/** The client API name that prefixes the paySig message. */
export const PAY_SIG_METHOD = 'requestVirtualPayment';

export interface SignDataInput {
  mode: VirtualPayMode;
  offerId: string;
  buyQuantity: number;
  env: VirtualPayEnv;
  /** WeChat accepts CNY only */
  currencyType?: 'CNY';
  /** goods mode only: the item id configured in the mini-program's virtual payment console */
  productId?: string;
  /** goods mode only: the item's unit price in fen; WeChat compares it with the console price */
  goodsPrice?: number;
  outTradeNo: string;
  /** passed through to the delivery push */
  attach: string;
}

/** WeChat's outTradeNo rule: 8-32 of digits, letters and `_-|*@`, not starting with `_`. */
export const OUT_TRADE_NO_RE = /^(?!_)[0-9A-Za-z_\-|*@]{8,32}$/;

const isPositiveInt = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;

/**
 * The signData string, with a fixed key order. WeChat verifies the signatures over the string the client passes,
 * so the exact text built here is what is signed and what the client must hand over unchanged.
 */
export function buildSignData(input: SignDataInput): string {
  if (!VIRTUAL_PAY_MODES.includes(input.mode)) throw new ParamError(`virtual payment mode must be one of ${VIRTUAL_PAY_MODES.join(', ')}`);
  if (typeof input.offerId !== 'string' || !/^[0-9A-Za-z_-]{1,64}$/.test(input.offerId)) throw new ParamError('offerId must be the offer id of the virtual payment console');
  if (!isPositiveInt(input.buyQuantity)) throw new ParamError('buyQuantity must be a positive integer');
  if (input.env !== 0 && input.env !== 1) throw new ParamError('env must be 0 (production) or 1 (sandbox)');
  if (!OUT_TRADE_NO_RE.test(input.outTradeNo)) throw new ParamError('outTradeNo must be 8-32 of digits, letters and _-|*@, not starting with _');
  if (typeof input.attach !== 'string') throw new ParamError('attach must be a string');
  const doc: Record<string, unknown> = {
    offerId: input.offerId,
    buyQuantity: input.buyQuantity,
    env: input.env,
    currencyType: input.currencyType ?? 'CNY',
  };
  if (input.mode === 'short_series_goods') {
    if (typeof input.productId !== 'string' || input.productId === '') throw new ParamError('productId is required in goods mode');
    if (!isPositiveInt(input.goodsPrice)) throw new ParamError('goodsPrice must be a positive integer fen in goods mode');
    doc.productId = input.productId;
    doc.goodsPrice = input.goodsPrice;
  } else if (input.productId !== undefined || input.goodsPrice !== undefined) {
    throw new ParamError('coin mode takes no productId or goodsPrice');
  }
  doc.outTradeNo = input.outTradeNo;
  doc.attach = input.attach;
  return JSON.stringify(doc);
}

export function hmacSha256Hex(key: string, message: string): string {
  if (typeof key !== 'string' || key === '') throw new ParamError('an HMAC key is required');
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(message, 'utf8')).digest('hex');
}

/** paySig of `uni.requestVirtualPayment`. */
export function paySigOf(appKey: string, signData: string): string {
  return hmacSha256Hex(appKey, `${PAY_SIG_METHOD}&${signData}`);
}

/** The user-session `signature` of `uni.requestVirtualPayment` (and of server APIs that take one). */
export function userSignatureOf(sessionKey: string, signedText: string): string {
  return hmacSha256Hex(sessionKey, signedText);
}

/** pay_sig of a server API: the URI is the path only (`/xpay/query_order`), the body the exact bytes sent. */
export function serverPaySig(appKey: string, uri: string, body: string): string {
  if (!uri.startsWith('/') || uri.includes('?')) throw new ParamError('pay_sig signs the API path without its query');
  return hmacSha256Hex(appKey, `${uri}&${body}`);
}

/** Constant-time comparison of two hex signatures (false on any shape difference). */
export function hexSignatureEquals(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || !/^[0-9a-fA-F]+$/.test(given) || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected.toLowerCase(), 'utf8'), Buffer.from(given.toLowerCase(), 'utf8'));
}

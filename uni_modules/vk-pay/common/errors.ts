/**
 * The one error-code table shared by the cloud core and the client (docs/CONTRACTS.md section 8).
 * Every error the plugin raises carries one of these codes; nothing else may be thrown across a boundary.
 *
 * Two audiences per code: `zh`/`en` and `payerAction` are the PAYER's words, what a person sees in the modal
 * (Chinese first); `dev` and `action` are the DEVELOPER's, what the envelope's msg/action and every log and error
 * row say. The detail of a failure (which parameter, what the provider said) is for developers only: the
 * component writes it to the console, the core to payment_errors, never to the modal.
 */
export const ERROR_TABLE = {
  0: { zh: '成功', en: 'Done', payerAction: { zh: '', en: '' }, dev: 'ok', action: '', retryable: false },
  40001: { zh: '填写的信息有误', en: 'Something you entered is not valid', payerAction: { zh: '请检查后重试', en: 'Please check it and try again' }, dev: 'parameter missing or malformed', action: 'check the parameters', retryable: false },
  40002: { zh: '支付服务暂时不可用', en: 'Payment is temporarily unavailable', payerAction: { zh: '请稍后重试或联系客服', en: 'Please try again later or contact support' }, dev: 'signature verification failed', action: 'check API keys and the signing algorithm', retryable: false },
  40003: { zh: '暂时无法使用此支付方式', en: 'This payment method is not available right now', payerAction: { zh: '请换一种支付方式或联系商家', en: 'Please choose another way to pay or contact the merchant' }, dev: 'certificate/key configuration error', action: 'check certificate files and config', retryable: false },
  40004: { zh: '网络不稳定，未能连接支付服务', en: 'Could not reach the payment service', payerAction: { zh: '请检查网络后重试', en: 'Please check your connection and try again' }, dev: 'network error reaching the gateway', action: 'check network, retry', retryable: true },
  40005: { zh: '订单不存在', en: 'This order could not be found', payerAction: { zh: '请返回重新下单', en: 'Please go back and order again' }, dev: 'order does not exist', action: 'check the order number', retryable: false },
  40006: { zh: '订单已支付', en: 'This order is already paid', payerAction: { zh: '无需重复支付，可查看订单', en: 'No need to pay again; you can check the order' }, dev: 'order already paid', action: 'no need to pay again; query the order', retryable: false },
  40007: { zh: '余额不足', en: 'Insufficient balance', payerAction: { zh: '请充值或换一种付款方式', en: 'Please top up or choose another way to pay' }, dev: 'insufficient balance', action: 'ask the person to top up', retryable: false },
  40008: { zh: '操作太频繁', en: 'Too many attempts', payerAction: { zh: '请稍等片刻再试', en: 'Please wait a moment and try again' }, dev: 'rate limited', action: 'slow down', retryable: true },
  40009: { zh: '没有权限或登录已失效', en: 'Not allowed, or your sign-in has expired', payerAction: { zh: '请重新登录后再试', en: 'Please sign in again and retry' }, dev: 'permission denied', action: 'check permissions', retryable: false },
  40010: { zh: '系统繁忙', en: 'The system is busy', payerAction: { zh: '请稍后再试', en: 'Please try again in a moment' }, dev: 'system busy', action: 'retry later', retryable: true },
  50000: { zh: '出了点问题', en: 'Something went wrong', payerAction: { zh: '请稍后再试，如仍失败请联系客服', en: 'Please try again later; contact support if it keeps failing' }, dev: 'unknown error', action: 'contact support', retryable: false },
} as const;

export type ErrorCode = keyof typeof ERROR_TABLE;
export const ERROR_CODES = Object.keys(ERROR_TABLE).map(Number) as ErrorCode[];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'number' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, code);
}

/** Who answers: uniCloud's `errSubject`, so a client can tell vk-pay's errors from other plugins'. */
export const ERR_SUBJECT = 'vk-pay';

/**
 * A failed reply. It speaks both conventions a uni-app client may expect: uniCloud's (`errCode` truthy makes
 * `uniCloud.importObject` throw, `errMsg`, `errSubject`) and VK's (`code`, `msg`), with the same table code.
 */
export interface ErrorEnvelope {
  errCode: Exclude<ErrorCode, 0>;
  errSubject: typeof ERR_SUBJECT;
  errMsg: string;
  code: Exclude<ErrorCode, 0>;
  msg: string;
  action: string;
  /** Extra detail safe to show (never keys or personal data). */
  detail?: string;
}

/** A successful reply, in both conventions. */
export interface OkEnvelope<T = unknown> {
  errCode: 0;
  errMsg: 'ok';
  code: 0;
  msg: 'ok';
  data: T;
}

export function okEnvelope<T>(data: T): OkEnvelope<T> {
  return { errCode: 0, errMsg: 'ok', code: 0, msg: 'ok', data: (data === undefined ? null : data) as T };
}

/** The failure envelope for a table code; `msg` and `errMsg` say the same thing. */
export function failureEnvelope(code: Exclude<ErrorCode, 0>, msg: string, action: string = ERROR_TABLE[code].action): ErrorEnvelope {
  return { errCode: code, errSubject: ERR_SUBJECT, errMsg: msg, code, msg, action };
}

/** The base of the plugin's small error hierarchy: a code from the table plus a detail message. */
export class VkPayError extends Error {
  readonly code: Exclude<ErrorCode, 0>;
  readonly detail: string | undefined;
  constructor(code: Exclude<ErrorCode, 0>, detail?: string, options?: { cause?: unknown }) {
    super(developerMessage(code, detail), options);
    this.name = 'VkPayError';
    this.code = code;
    this.detail = detail;
  }
  get retryable(): boolean {
    return ERROR_TABLE[this.code].retryable;
  }
  /** The reply for developers and VK/uniCloud clients: the developer's message with the detail, and the action. */
  toEnvelope(): ErrorEnvelope {
    return failureEnvelope(this.code, developerMessage(this.code, this.detail), ERROR_TABLE[this.code].action);
  }
}

export class ParamError extends VkPayError {
  constructor(detail: string) { super(40001, detail); this.name = 'ParamError'; }
}
export class SignatureError extends VkPayError {
  constructor(detail: string) { super(40002, detail); this.name = 'SignatureError'; }
}
export class KeyConfigError extends VkPayError {
  constructor(detail: string) { super(40003, detail); this.name = 'KeyConfigError'; }
}
export class GatewayNetworkError extends VkPayError {
  constructor(detail: string, options?: { cause?: unknown }) { super(40004, detail, options); this.name = 'GatewayNetworkError'; }
}
export class OrderNotFoundError extends VkPayError {
  constructor(detail: string) { super(40005, detail); this.name = 'OrderNotFoundError'; }
}
export class PermissionError extends VkPayError {
  constructor(detail: string) { super(40009, detail); this.name = 'PermissionError'; }
}

/** Any thrown value becomes a VkPayError; unknown failures are 50000 and keep the original as `cause`. */
export function toVkPayError(err: unknown): VkPayError {
  if (err instanceof VkPayError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new VkPayError(50000, message, { cause: err });
}

/** What envelopes, logs and error rows say: the developer's meaning of the code, then the detail. */
export function developerMessage(code: ErrorCode, detail?: string): string {
  const dev = ERROR_TABLE[code].dev;
  return detail ? `${dev}: ${detail}` : dev;
}

/** The payer's words for a code, Chinese first (the <vk-pay> modal, the demo pages). Never the detail. */
export function describeError(code: number, lang: 'zh' | 'en' = 'zh'): { msg: string; action: string; retryable: boolean } {
  const entry = isErrorCode(code) ? ERROR_TABLE[code] : ERROR_TABLE[50000];
  return { msg: entry[lang], action: entry.payerAction[lang], retryable: entry.retryable };
}

/** uni-app locale names (zh-Hans, zh-Hant, en, ...) onto the table's two languages: Chinese unless English. */
export function payerLang(locale: string | undefined): 'zh' | 'en' {
  return typeof locale === 'string' && locale.toLowerCase().startsWith('en') ? 'en' : 'zh';
}

/**
 * The one error-code table shared by the cloud core and the client (docs/CONTRACTS.md section 8).
 * Every error the plugin raises carries one of these codes; nothing else may be thrown across a boundary.
 */
export const ERROR_TABLE = {
  0: { zh: '成功', en: 'ok', action: '', retryable: false },
  40001: { zh: '参数缺失或格式错误', en: 'parameter missing or malformed', action: 'check the parameters', retryable: false },
  40002: { zh: '签名验证失败', en: 'signature verification failed', action: 'check API keys and the signing algorithm', retryable: false },
  40003: { zh: '证书或密钥配置错误', en: 'certificate/key configuration error', action: 'check certificate files and config', retryable: false },
  40004: { zh: '网络错误，无法连接支付网关', en: 'network error reaching the gateway', action: 'check network, retry', retryable: true },
  40005: { zh: '订单不存在', en: 'order does not exist', action: 'check the order number', retryable: false },
  40006: { zh: '订单已支付', en: 'order already paid', action: 'no need to pay again; query the order', retryable: false },
  40007: { zh: '余额不足', en: 'insufficient balance', action: 'ask the person to top up', retryable: false },
  40008: { zh: '请求过于频繁', en: 'rate limited', action: 'slow down', retryable: true },
  40009: { zh: '权限不足', en: 'permission denied', action: 'check permissions', retryable: false },
  40010: { zh: '系统繁忙', en: 'system busy', action: 'retry later', retryable: true },
  50000: { zh: '未知错误', en: 'unknown error', action: 'contact support', retryable: false },
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
    super(detail ? `${ERROR_TABLE[code].en}: ${detail}` : ERROR_TABLE[code].en, options);
    this.name = 'VkPayError';
    this.code = code;
    this.detail = detail;
  }
  get retryable(): boolean {
    return ERROR_TABLE[this.code].retryable;
  }
  toEnvelope(lang: 'zh' | 'en' = 'en'): ErrorEnvelope {
    const entry = ERROR_TABLE[this.code];
    return failureEnvelope(this.code, this.detail ? `${entry[lang]}: ${this.detail}` : entry[lang], entry.action);
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

/** The client-facing message for a code (used by the <vk-pay> component's modal). */
export function describeError(code: number, lang: 'zh' | 'en' = 'zh'): { msg: string; action: string; retryable: boolean } {
  const entry = isErrorCode(code) ? ERROR_TABLE[code] : ERROR_TABLE[50000];
  return { msg: entry[lang], action: entry.action, retryable: entry.retryable };
}

/** The reply envelope of every cloud-object call (DESIGN.md section 3): built from the one error table. */
import { toVkPayError, type ErrorEnvelope } from '../../../../../../common/errors';

export interface OkEnvelope<T = unknown> {
  code: 0;
  msg: 'ok';
  data: T;
}

export type Envelope<T = unknown> = OkEnvelope<T> | ErrorEnvelope;

export function okEnvelope<T>(data: T): OkEnvelope<T> {
  return { code: 0, msg: 'ok', data: (data === undefined ? null : data) as T };
}

/** Any thrown value becomes `{code, msg, action}`; unknown failures are 50000 without internals. */
export function errorEnvelope(err: unknown): ErrorEnvelope {
  const e = toVkPayError(err);
  if (e.code === 50000) {
    // The original message may carry internals (paths, keys in stack traces); the envelope says only the code.
    return { code: 50000, msg: 'unknown error', action: 'contact support' };
  }
  return e.toEnvelope('en');
}

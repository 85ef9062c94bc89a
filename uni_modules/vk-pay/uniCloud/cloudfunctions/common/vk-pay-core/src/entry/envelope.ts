/**
 * The reply envelope of every cloud-object call, success included: uniCloud's `errCode`/`errMsg`/`errSubject`
 * beside VK's `code`/`msg`/`action`, built from the one error table (docs/CONTRACTS.md, "Envelope").
 */
import { failureEnvelope, okEnvelope, toVkPayError, type ErrorEnvelope, type OkEnvelope } from '../../../../../../common/errors';

export { okEnvelope, type OkEnvelope };

export type Envelope<T = unknown> = OkEnvelope<T> | ErrorEnvelope;

/** Any thrown value becomes the failure envelope; unknown failures are 50000 without internals. */
export function errorEnvelope(err: unknown): ErrorEnvelope {
  const e = toVkPayError(err);
  // The original message of an unknown failure may carry internals (paths, keys in stack traces).
  if (e.code === 50000) return failureEnvelope(50000, 'unknown error', 'contact support');
  return e.toEnvelope();
}

/**
 * Real uni-id tokens for core tests: the local host's uni-id-common (HS256 with a tokenSecret, expiry checked) with
 * the secret given here instead of read from uni-config-center. `tokenFor` signs what a uni-id login would issue;
 * `uniIdCommon` is what `uniIdAuth({ uniIdCommon })` verifies with, so tests exercise the production check.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { UniIdCommon } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/auth/adapters';

interface LocalUniIdInstance {
  checkToken(token: string): Promise<{ errCode: number | string; uid?: string; role?: string[] }>;
  createToken(p: { uid: string; role?: string[] }): Promise<{ errCode: number | string; token?: string; tokenExpired?: number }>;
}
interface LocalUniIdModule { createInstance(opts: { clientInfo?: unknown; config?: Record<string, unknown> }): LocalUniIdInstance }

const require = createRequire(import.meta.url);
export const localUniIdCommon = require('../../../local/uni-id-common/index.js') as LocalUniIdModule;

export interface TestUniId {
  secret: string;
  uniIdCommon: UniIdCommon;
  tokenFor(uid: string, roles?: string[], config?: Record<string, unknown>): Promise<string>;
}

export function testUniId(secret = randomBytes(32).toString('hex'), tokenExpiresIn = 7200): TestUniId {
  const config = { tokenSecret: secret, tokenExpiresIn };
  return {
    secret,
    uniIdCommon: { createInstance: (opts) => localUniIdCommon.createInstance({ ...(opts as object), config }) },
    async tokenFor(uid, roles = [], over = {}) {
      const res = await localUniIdCommon.createInstance({ config: { ...config, ...over } }).createToken({ uid, role: roles });
      if (res.errCode !== 0 || !res.token) throw new Error(`createToken failed: ${String(res.errCode)}`);
      return res.token;
    },
  };
}

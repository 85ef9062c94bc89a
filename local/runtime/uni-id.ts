/**
 * uni-id on the local host. A project that installs DCloud's uni-id-common (uni_modules/uni-id-common) gets its own
 * module; otherwise the host stands in with `local/uni-id-common` (the same token rules), so the cloud object's
 * `uniIdAuth` verifies real tokens either way. `issueToken` is what `POST /__dev/login` answers in the sandbox env:
 * the token a uni-id login would have given that user.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT, findCommonModule } from '../paths';
import { provideModule } from './common-modules';

export const LOCAL_UNI_ID_COMMON = path.join(REPO_ROOT, 'local', 'uni-id-common', 'index.js');

interface UniIdInstance { createToken(p: { uid: string; role?: string[] }): Promise<{ errCode: number | string; errMsg?: string; token?: string; tokenExpired?: number }> }
interface UniIdModule { createInstance(opts: { clientInfo?: unknown }): UniIdInstance }

/** Registers the stand-in; the resolver uses it only where a function's declared uni-id-common folder is absent. */
export function provideLocalUniIdCommon(): void {
  provideModule('uni-id-common', LOCAL_UNI_ID_COMMON);
}

function uniIdModuleFor(projectDir: string): UniIdModule {
  const own = findCommonModule('uni-id-common', projectDir);
  const req = createRequire(__filename);
  return req(own ?? LOCAL_UNI_ID_COMMON) as UniIdModule;
}

export const DEV_UID_PATTERN = /^[A-Za-z0-9_.:@-]{1,64}$/;
export const DEV_ROLE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export async function issueToken(projectDir: string, uid: string, roles: string[]): Promise<{ token: string; uid: string; tokenExpired: number }> {
  const res = await uniIdModuleFor(projectDir).createInstance({ clientInfo: { uniPlatform: 'web' } }).createToken({ uid, role: roles });
  if (res.errCode !== 0 || !res.token || !res.tokenExpired) throw new Error(`uni-id createToken failed: ${String(res.errCode)} ${res.errMsg ?? ''}`);
  return { token: res.token, uid, tokenExpired: res.tokenExpired };
}

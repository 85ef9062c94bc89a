/**
 * Identity: the admin bearer token (constant time), uni-id tokens verified by uni-id's rules (HS256 with
 * tokenSecret, expiry, uid and role read), configurable admin roles, the VK router adapter, and nothing else
 * naming a user: the old dev header is ignored, a bad token is refused rather than taken as "no user", and a
 * missing uni-id-common is a configuration error.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveIdentity, requireAdmin, requireOwnerOrAdmin, safeEqual } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/auth/identity';
import { uniIdAuth, vkRouterAuth } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/auth/adapters';
import type { VkPayConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/schema';
import { testUniId } from '../support/uni-id';

const TOKEN = 'admin-token-abcdefghijklmnopqrstuvwxyz';
const cfg = (over: Partial<VkPayConfig> = {}) => ({ env: 'sandbox', adminToken: TOKEN, adminRoles: ['admin'], auth: 'uni-id', ...over }) as VkPayConfig;
const req = (headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({ method: 'm', httpInfo: { headers }, ...extra });

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

describe('auth', () => {
  const uni = testUniId();
  const auth = uniIdAuth({ uniIdCommon: uni.uniIdCommon });

  it('admin bearer token: right token -> admin, wrong token -> 40009', async () => {
    expect(await resolveIdentity(cfg(), req({ authorization: `Bearer ${TOKEN}` }))).toMatchObject({ isAdmin: true });
    await expect(resolveIdentity(cfg(), req({ authorization: 'Bearer nope' }))).rejects.toMatchObject({ code: 40009 });
    expect(await resolveIdentity(cfg({ adminToken: () => TOKEN }), req({ authorization: `Bearer ${TOKEN}` }))).toMatchObject({ isAdmin: true });
    await expect(resolveIdentity(cfg({ adminToken: undefined }), req({ authorization: `Bearer ${TOKEN}` }))).rejects.toMatchObject({ code: 40009 });
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });

  it('a uni-id token names the user, from getUniIdToken() or the uni-id-token header', async () => {
    const c = cfg({ env: 'production', auth });
    const token = await uni.tokenFor('uid-9', ['vip']);
    expect(await resolveIdentity(c, req({}, { uniIdToken: token }))).toMatchObject({ uid: 'uid-9', roles: ['vip'], isAdmin: false, via: 'hook' });
    expect(await resolveIdentity(c, req({ 'uni-id-token': token }))).toMatchObject({ uid: 'uid-9' });
    expect(await resolveIdentity(c, req())).toBeNull();
  });

  it('forged, expired or wrongly signed tokens are refused with 40009, never taken as anonymous', async () => {
    const c = cfg({ env: 'production', auth });
    const good = await uni.tokenFor('u1');
    const [head, , sig] = good.split('.');
    const now = Math.floor(Date.now() / 1000);
    // payload edited to another uid, signature kept
    const edited = `${head}.${b64({ uid: 'someone-else', role: ['admin'], permission: [], iat: now, exp: now + 3600 })}.${sig}`;
    // signed with another secret
    const otherSecret = await testUniId().tokenFor('u1');
    // validly signed with the right secret, but expired a second ago
    const expired = (() => {
      const h = b64({ alg: 'HS256', typ: 'JWT' });
      const p = b64({ uid: 'u1', role: [], permission: [], iat: now - 7201, exp: now - 1 });
      return `${h}.${p}.${createHmac('sha256', uni.secret).update(`${h}.${p}`).digest('base64url')}`;
    })();
    // alg none
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ uid: 'u1', exp: now + 3600 })}.`;
    // HS256 over the right header and payload, but with an empty secret
    const emptyKey = (() => {
      const h = b64({ alg: 'HS256', typ: 'JWT' });
      const p = b64({ uid: 'u1', role: ['admin'], exp: now + 3600 });
      return `${h}.${p}.${createHmac('sha256', '').update(`${h}.${p}`).digest('base64url')}`;
    })();
    for (const [name, token] of Object.entries({ edited, otherSecret, expired, none, emptyKey, garbage: 'not-a-jwt' })) {
      await expect(resolveIdentity(c, req({}, { uniIdToken: token })), name).rejects.toMatchObject({ code: 40009 });
    }
    await expect(resolveIdentity(c, req({}, { uniIdToken: expired }))).rejects.toThrow(/expired/);
  });

  it('admin roles are configurable; a user without one is not an admin', async () => {
    const ops = await uni.tokenFor('ops-1', ['finance']);
    const admin = await uni.tokenFor('root', ['admin']);
    expect(await resolveIdentity(cfg({ auth }), req({}, { uniIdToken: admin }))).toMatchObject({ isAdmin: true });
    expect(await resolveIdentity(cfg({ auth }), req({}, { uniIdToken: ops }))).toMatchObject({ isAdmin: false });
    expect(await resolveIdentity(cfg({ auth, adminRoles: ['finance'] }), req({}, { uniIdToken: ops }))).toMatchObject({ isAdmin: true });
    expect(await resolveIdentity(cfg({ auth, adminRoles: ['finance'] }), req({}, { uniIdToken: admin }))).toMatchObject({ isAdmin: false });
  });

  it('the retired dev header names nobody, in any env', async () => {
    for (const env of ['sandbox', 'production'] as const) {
      expect(await resolveIdentity(cfg({ env, auth }), req({ 'x-vkpay-dev-uid': 'u1' }))).toBeNull();
    }
  });

  it("auth 'uni-id' without uni-id-common installed is a 40003 naming the module, even without a token", async () => {
    const c = cfg({ env: 'production' });
    for (const r of [req(), req({}, { uniIdToken: 'x' })]) {
      const err = await resolveIdentity(c, r).then(() => null, (e: unknown) => e);
      expect(err).toMatchObject({ code: 40003 });
      expect(String((err as Error).message)).toContain('uni-id-common');
    }
  });

  it('VK router adapter reads userInfo', async () => {
    const c = cfg({ env: 'production', auth: vkRouterAuth() });
    expect(await resolveIdentity(c, req({}, { userInfo: { _id: 'vk1', role: [] } }))).toMatchObject({ uid: 'vk1', isAdmin: false });
    expect(await resolveIdentity(cfg({ auth: 'vk-router' }), req({}, { userInfo: { _id: 'vk2', role: ['admin'] } }))).toMatchObject({ uid: 'vk2', isAdmin: true });
  });

  it('role checks', () => {
    expect(() => requireAdmin(null)).toThrow(expect.objectContaining({ code: 40009 }));
    expect(() => requireOwnerOrAdmin({ uid: 'a', roles: [], isAdmin: false, via: 'hook' }, 'b')).toThrow(expect.objectContaining({ code: 40009 }));
    expect(requireOwnerOrAdmin({ uid: 'x', roles: ['admin'], isAdmin: true, via: 'hook' }, 'b').uid).toBe('x');
  });
});

/** Identity: admin bearer token (constant-time), the config hook with uni-id / VK adapters, the sandbox-only dev header. */
import { describe, expect, it } from 'vitest';
import { resolveIdentity, requireAdmin, requireOwnerOrAdmin, safeEqual } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/auth/identity';
import { uniIdAuth, vkRouterAuth } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/auth/adapters';
import type { VkPayConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/schema';

const TOKEN = 'admin-token-abcdefghijklmnopqrstuvwxyz';
const cfg = (over: Partial<VkPayConfig> = {}) => ({ env: 'sandbox', adminToken: TOKEN, ...over }) as VkPayConfig;
const req = (headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({ method: 'm', httpInfo: { headers }, ...extra });

describe('auth', () => {
  it('admin bearer token: right token -> admin, wrong token -> 40009', async () => {
    expect(await resolveIdentity(cfg(), req({ authorization: `Bearer ${TOKEN}` }))).toMatchObject({ isAdmin: true });
    await expect(resolveIdentity(cfg(), req({ authorization: 'Bearer nope' }))).rejects.toMatchObject({ code: 40009 });
    expect(await resolveIdentity(cfg({ adminToken: () => TOKEN }), req({ authorization: `Bearer ${TOKEN}` }))).toMatchObject({ isAdmin: true });
    await expect(resolveIdentity(cfg({ adminToken: undefined }), req({ authorization: `Bearer ${TOKEN}` }))).rejects.toMatchObject({ code: 40009 });
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });

  it('dev header only in the sandbox', async () => {
    expect(await resolveIdentity(cfg(), req({ 'x-vkpay-dev-uid': 'u1' }))).toMatchObject({ uid: 'u1', isAdmin: false });
    expect(await resolveIdentity(cfg({ env: 'production' }), req({ 'x-vkpay-dev-uid': 'u1' }))).toBeNull();
  });

  it('uni-id adapter verifies the token with uni-id-common', async () => {
    const uniIdCommon = { createInstance: () => ({ checkToken: async (t: string) => (t === 'good' ? { errCode: 0, uid: 'uid-9', role: ['admin'] } : { errCode: 'uni-id-check-token-failed' }) }) };
    const auth = uniIdAuth({ uniIdCommon });
    const c = cfg({ env: 'production', auth });
    expect(await resolveIdentity(c, req({}, { uniIdToken: 'good' }))).toMatchObject({ uid: 'uid-9', isAdmin: true, via: 'hook' });
    expect(await resolveIdentity(c, req({}, { uniIdToken: 'bad' }))).toBeNull();
    expect(await resolveIdentity(c, req())).toBeNull();
  });

  it('VK router adapter reads userInfo', async () => {
    const c = cfg({ env: 'production', auth: vkRouterAuth() });
    expect(await resolveIdentity(c, req({}, { userInfo: { _id: 'vk1', role: [] } }))).toMatchObject({ uid: 'vk1', isAdmin: false });
  });

  it('role checks', () => {
    expect(() => requireAdmin(null)).toThrow(expect.objectContaining({ code: 40009 }));
    expect(() => requireOwnerOrAdmin({ uid: 'a', roles: [], isAdmin: false, via: 'hook' }, 'b')).toThrow(expect.objectContaining({ code: 40009 }));
    expect(requireOwnerOrAdmin({ uid: 'x', roles: ['admin'], isAdmin: true, via: 'hook' }, 'b').uid).toBe('x');
  });
});

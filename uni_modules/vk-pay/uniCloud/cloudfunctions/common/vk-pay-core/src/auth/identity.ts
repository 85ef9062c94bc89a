/**
 * Who is calling. Resolution order: the admin bearer token (`Authorization: Bearer <token>`, compared in constant
 * time), then the config's `auth` (uni-id by default, the VK router, or the merchant's own resolver). Nothing else
 * names a user: no header, no parameter. Admin methods need a role listed in `adminRoles` (default `admin`).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { PermissionError } from '../../../../../../common/errors';
import type { AuthHook, VkPayConfig } from '../config/schema';
import { uniIdAuth, vkRouterAuth } from './adapters';

export interface Identity {
  uid: string;
  roles: string[];
  isAdmin: boolean;
  via: 'admin-token' | 'hook';
  /** profile data a resolver chose to pass on (stored on the order, encrypted when configured) */
  userInfo?: unknown;
}

export interface AuthRequest {
  method: string;
  uniIdToken?: string;
  httpInfo?: { headers?: Record<string, string> };
  clientInfo?: unknown;
  /** set by VK-router integrations */
  userInfo?: unknown;
}

function header(req: AuthRequest, name: string): string | undefined {
  const headers = req.httpInfo?.headers;
  if (!headers) return undefined;
  const v = headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return typeof v === 'string' ? v : undefined;
}

/** Constant-time comparison (hashing first makes lengths equal, so the length is not leaked either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

function adminTokenOf(config: VkPayConfig): string | undefined {
  const t = config.adminToken;
  const value = typeof t === 'function' ? t() : t;
  return typeof value === 'string' && value.length >= 16 ? value : undefined;
}

const builtIn = new WeakMap<VkPayConfig, AuthHook>();

/** The config's `auth` as a hook: a name picks a built-in resolver (made once per config), a function is used as is. */
export function authHookOf(config: VkPayConfig): AuthHook {
  const auth = config.auth;
  if (typeof auth === 'function') return auth as AuthHook;
  let hook = builtIn.get(config);
  if (!hook) {
    hook = auth === 'vk-router' ? vkRouterAuth() : uniIdAuth();
    builtIn.set(config, hook);
  }
  return hook;
}

export async function resolveIdentity(config: VkPayConfig, req: AuthRequest): Promise<Identity | null> {
  const authz = header(req, 'authorization');
  if (authz && /^Bearer\s+/i.test(authz)) {
    const expected = adminTokenOf(config);
    const given = authz.replace(/^Bearer\s+/i, '').trim();
    if (expected && safeEqual(given, expected)) return { uid: 'admin', roles: ['admin'], isAdmin: true, via: 'admin-token' };
    throw new PermissionError('invalid admin token');
  }
  const found = await authHookOf(config)(req);
  if (found && typeof found.uid === 'string' && found.uid) {
    const roles = Array.isArray(found.role) ? found.role.map(String) : [];
    const adminRoles = config.adminRoles;
    return { uid: found.uid, roles, isAdmin: roles.some((r) => adminRoles.includes(r)), via: 'hook', userInfo: found.userInfo };
  }
  return null;
}

export function requireUser(id: Identity | null): Identity {
  if (!id) throw new PermissionError('sign in first');
  return id;
}

export function requireAdmin(id: Identity | null): Identity {
  if (!id?.isAdmin) throw new PermissionError('admin role required');
  return id;
}

/** The owner of an order or an admin may read and close it. */
export function requireOwnerOrAdmin(id: Identity | null, ownerUid: string): Identity {
  const who = requireUser(id);
  if (!who.isAdmin && who.uid !== ownerUid) throw new PermissionError('not your order');
  return who;
}

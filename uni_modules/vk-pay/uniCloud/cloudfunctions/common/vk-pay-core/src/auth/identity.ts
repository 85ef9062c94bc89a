/**
 * Who is calling. Resolution order: the admin bearer token; the config's auth hook (uni-id, the VK router, or
 * the merchant's own); and, only while `env` is `sandbox`, the dev header `x-vkpay-dev-uid` (DESIGN.md section 3).
 * Admin methods need the `admin` role (40009 otherwise).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { PermissionError } from '../../../../../../common/errors';
import type { AuthHook, VkPayConfig } from '../config/schema';

export interface Identity {
  uid: string;
  roles: string[];
  isAdmin: boolean;
  via: 'admin-token' | 'hook' | 'dev-header';
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

export const DEV_UID_HEADER = 'x-vkpay-dev-uid';

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

export async function resolveIdentity(config: VkPayConfig, req: AuthRequest): Promise<Identity | null> {
  const authz = header(req, 'authorization');
  if (authz && /^Bearer\s+/i.test(authz)) {
    const expected = adminTokenOf(config);
    const given = authz.replace(/^Bearer\s+/i, '').trim();
    if (expected && safeEqual(given, expected)) return { uid: 'admin', roles: ['admin'], isAdmin: true, via: 'admin-token' };
    throw new PermissionError('invalid admin token');
  }
  if (config.auth) {
    const found = await (config.auth as AuthHook)(req);
    if (found && typeof found.uid === 'string' && found.uid) {
      const roles = Array.isArray(found.role) ? found.role.map(String) : [];
      return { uid: found.uid, roles, isAdmin: roles.includes('admin'), via: 'hook', userInfo: found.userInfo };
    }
  }
  if (config.env === 'sandbox') {
    const dev = header(req, DEV_UID_HEADER);
    if (dev && /^[A-Za-z0-9_.:@-]{1,64}$/.test(dev)) return { uid: dev, roles: [], isAdmin: false, via: 'dev-header' };
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

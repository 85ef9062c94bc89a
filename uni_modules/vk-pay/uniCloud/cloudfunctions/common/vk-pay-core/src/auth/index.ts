export { resolveIdentity, requireUser, requireAdmin, requireOwnerOrAdmin, safeEqual, DEV_UID_HEADER, type Identity, type AuthRequest } from './identity';
export { uniIdAuth, vkRouterAuth } from './adapters';

export { resolveIdentity, requireUser, requireAdmin, requireOwnerOrAdmin, safeEqual, authHookOf, type Identity, type AuthRequest } from './identity';
export { uniIdAuth, vkRouterAuth, loadUniIdCommon, uniIdTokenOf, UNI_ID_TOKEN_HEADER, type UniIdCommon } from './adapters';

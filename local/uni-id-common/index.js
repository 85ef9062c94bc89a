// The local host's uni-id-common: what the host supplies when the project being run has no
// uni_modules/uni-id-common (this repository does not carry DCloud's). It implements the part of the module's API
// that token checks need, by uni-id's rules:
//   const uniID = require('uni-id-common').createInstance({ clientInfo })   // or { context }, { config }
//   await uniID.checkToken(token)  -> { errCode: 0, uid, role, permission, tokenExpired } | { errCode: 'uni-id-...', errMsg }
//   await uniID.createToken({ uid, role, permission }) -> { errCode: 0, token, tokenExpired }
// A token is an HS256 JWT signed with `tokenSecret` from uni-config-center's `uni-id` config, carrying uid, role,
// permission, iat and exp (seconds); `tokenExpiresIn` (seconds, default 7200) sets exp. Plain CommonJS for Node 16+,
// so the same file also runs inside an uploaded-function layout in tests.
'use strict';
const crypto = require('crypto');

const DEFAULT_EXPIRES_IN = 7200;
const VERSION = '1.0.0-local';

function base64url(buf) {
  return Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

function fromBase64url(text) {
  return Buffer.from(String(text).replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function platformOf(opts) {
  const info = opts.clientInfo || (opts.context && { uniPlatform: opts.context.PLATFORM }) || {};
  return info.uniPlatform || info.platform || undefined;
}

// uni-id's config may hold per-platform sections ("mp-weixin": {...}) that override the top level.
function effectiveConfig(opts) {
  const base = opts.config || require('uni-config-center')({ pluginId: 'uni-id' }).config() || {};
  const platform = platformOf(opts);
  const section = platform && base[platform] && typeof base[platform] === 'object' ? base[platform] : {};
  return Object.assign({}, base, section);
}

function failure(errCode, errMsg) {
  return { errCode, errMsg };
}

function sign(data, secret) {
  return base64url(crypto.createHmac('sha256', secret).update(data).digest());
}

function createInstance(opts) {
  opts = opts || {};
  function secretOf(config) {
    const secret = config.tokenSecret;
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new Error('uni-id-common: tokenSecret is missing from uni-config-center/uni-id/config.json');
    }
    return secret;
  }

  async function createToken(params) {
    const config = effectiveConfig(opts);
    const uid = params && params.uid;
    if (typeof uid !== 'string' || !uid) return failure('uni-id-param-required', 'uid is required');
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Number(config.tokenExpiresIn) > 0 ? Number(config.tokenExpiresIn) : DEFAULT_EXPIRES_IN;
    const payload = {
      uid,
      role: Array.isArray(params.role) ? params.role.map(String) : [],
      permission: Array.isArray(params.permission) ? params.permission.map(String) : [],
      uniIdVersion: VERSION,
      iat: now,
      exp: now + expiresIn,
    };
    const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.' + base64url(JSON.stringify(payload));
    const token = head + '.' + sign(head, secretOf(config));
    return { errCode: 0, token, tokenExpired: payload.exp * 1000 };
  }

  async function checkToken(token) {
    if (typeof token !== 'string' || token.length === 0) return failure('uni-id-check-token-failed', 'no token');
    const parts = token.split('.');
    if (parts.length !== 3) return failure('uni-id-check-token-failed', 'not a JWT');
    let header;
    let payload;
    try {
      header = JSON.parse(fromBase64url(parts[0]).toString('utf8'));
      payload = JSON.parse(fromBase64url(parts[1]).toString('utf8'));
    } catch (e) {
      return failure('uni-id-check-token-failed', 'malformed token');
    }
    if (!header || header.alg !== 'HS256') return failure('uni-id-check-token-failed', 'unsupported algorithm');
    const config = effectiveConfig(opts);
    const expected = Buffer.from(sign(parts[0] + '.' + parts[1], secretOf(config)));
    const given = Buffer.from(parts[2]);
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
      return failure('uni-id-check-token-failed', 'signature mismatch');
    }
    if (!payload || typeof payload.uid !== 'string' || !payload.uid) return failure('uni-id-check-token-failed', 'no uid');
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) return failure('uni-id-token-expired', 'token expired');
    return {
      errCode: 0,
      uid: payload.uid,
      role: Array.isArray(payload.role) ? payload.role : [],
      permission: Array.isArray(payload.permission) ? payload.permission : [],
      tokenExpired: payload.exp * 1000,
    };
  }

  return { checkToken, createToken };
}

module.exports = { createInstance };

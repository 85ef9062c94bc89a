/**
 * /sandbox/wxapi/: the two login-code exchanges of api.weixin.qq.com (docs/PROTOCOLS.md section 7), checked as
 * WeChat checks them - appid known, AppSecret right (compared in constant time), grant_type, then the code: one
 * issued for this appid, not spent, not expired. Failures are `{errcode, errmsg}` with HTTP 200, as WeChat answers.
 *
 *   GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code -> {openid, session_key}
 *   GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code
 *       -> {access_token, expires_in, refresh_token, openid, scope}
 */
import { randomBytes } from 'node:crypto';
import type { GatewayContext, GatewayRequest } from './context';
import { send } from './http-io';
import { secretMatches } from './login-codes';

type Answer = Record<string, unknown>;

const rid = () => `${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
const err = (errcode: number, errmsg: string): Answer => ({ errcode, errmsg: `${errmsg}, rid: ${rid()}` });

const EXCHANGES: Record<string, { codeParam: string }> = {
  '/sns/jscode2session': { codeParam: 'js_code' },
  '/sns/oauth2/access_token': { codeParam: 'code' },
};

export function handleWxapi(ctx: GatewayContext, r: GatewayRequest): void {
  const reply = (body: Answer) => send(r.res, 200, { 'content-type': 'application/json; encoding=utf-8' }, JSON.stringify(body));
  const exchange = EXCHANGES[r.subPath];
  if (!exchange) return send(r.res, 404, { 'content-type': 'text/plain' }, 'not found');
  if (r.method !== 'GET') return reply(err(43001, 'require GET method'));
  const q = (k: string) => r.query.get(k) ?? '';
  const appid = q('appid');
  if (!appid) return reply(err(41002, 'appid missing'));
  const app = ctx.logins.app('wxpay', appid);
  if (!app) return reply(err(40013, 'invalid appid'));
  const secret = q('secret');
  if (!secret) return reply(err(41004, 'appsecret missing'));
  if (!secretMatches(secret, app.secret)) return reply(err(40125, 'invalid appsecret'));
  const code = q(exchange.codeParam);
  if (!code) return reply(err(41008, 'missing code'));
  if (q('grant_type') !== 'authorization_code') return reply(err(40002, 'invalid grant_type'));
  const out = ctx.logins.redeem('wxpay', appid, code);
  if (!out.ok) return reply(out.reason === 'used' ? err(40163, 'code been used') : err(40029, 'invalid code'));
  if (r.subPath === '/sns/jscode2session') {
    const session_key = randomBytes(16).toString('base64');
    // kept: virtual payment checks the payer's `signature` with the session key of the latest login
    ctx.logins.setSession(appid, out.openid, session_key);
    return reply({ session_key, openid: out.openid });
  }
  return reply({
    access_token: randomBytes(48).toString('base64url'), expires_in: 7200, refresh_token: randomBytes(48).toString('base64url'),
    openid: out.openid, scope: 'snsapi_base',
  });
}

/**
 * /sandbox/wxopen/connect/oauth2/authorize: the official account's OAuth page (open.weixin.qq.com). In WeChat's
 * browser, the silent scope (snsapi_base) sends the person straight back to `redirect_uri` with `code` and `state`
 * appended; the sandbox does the same for the sandbox's payer (`sandbox_user` names another one, for tests).
 * Refusals are pages, as WeChat shows them: an unknown appid, a missing or non-http(s) redirect_uri, a wrong
 * response_type or scope.
 */
import type { GatewayContext, GatewayRequest } from './context';
import { send } from './http-io';

function refuse(r: GatewayRequest, message: string): void {
  send(r.res, 400, { 'content-type': 'text/html; charset=utf-8' }, `<!doctype html><meta charset="utf-8"><title>微信授权</title><p>${message}</p>`);
}

export function handleWxopen(ctx: GatewayContext, r: GatewayRequest): void {
  if (r.subPath !== '/connect/oauth2/authorize' || r.method !== 'GET') return send(r.res, 404, { 'content-type': 'text/plain' }, 'not found');
  const q = (k: string) => r.query.get(k) ?? '';
  const app = ctx.logins.app('wxpay', q('appid'));
  if (!app) return refuse(r, 'appid参数错误');
  let back: URL;
  try {
    back = new URL(q('redirect_uri'));
    if (back.protocol !== 'http:' && back.protocol !== 'https:') throw new TypeError('scheme');
  } catch {
    return refuse(r, 'redirect_uri参数错误');
  }
  if (q('response_type') !== 'code') return refuse(r, 'response_type参数错误');
  if (q('scope') !== 'snsapi_base' && q('scope') !== 'snsapi_userinfo') return refuse(r, 'scope参数错误');
  const user = /^[\w.@-]{1,64}$/.test(q('sandbox_user')) ? q('sandbox_user') : 'sandbox-payer';
  back.searchParams.set('code', ctx.logins.issue('wxpay', app.appId, user));
  back.searchParams.set('state', q('state'));
  send(r.res, 302, { location: back.toString(), 'content-type': 'text/plain; charset=utf-8' }, '');
}

/**
 * The URL-ized notify adapter (`vk-pay-notify/index.js`): uniCloud's integrated request event
 * `{path, httpMethod, headers, queryStringParameters, body, isBase64Encoded}` -> `{channel, IncomingNotification}`,
 * and the core's NotifyReply -> an integrated response (`mpserverlessComposedResponse`), so the gateway gets
 * exactly the status, headers and body its protocol expects (XML for WeChat v2, text for Alipay).
 */
import { isChannel as isRegisteredChannel } from '../providers/registry';
import type { Channel, IncomingNotification, NotifyReply } from '../providers/types';
import type { CoreServices, NotifyRoute } from './services';

export interface IntegratedRequestEvent {
  path?: string;
  httpMethod?: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

export interface ComposedResponse {
  mpserverlessComposedResponse: true;
  isBase64Encoded: false;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function composed(reply: NotifyReply): ComposedResponse {
  return { mpserverlessComposedResponse: true, isBase64Encoded: false, statusCode: reply.statusCode, headers: { ...reply.headers }, body: reply.body };
}

function jsonReply(statusCode: number, body: unknown): ComposedResponse {
  return composed({ statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) });
}

/** A channel of the provider registry (providers/registry.ts). */
export function isChannel(v: string): v is Channel {
  return isRegisteredChannel(v);
}

/** `/wxpay` (relative to the function's URL path) -> `wxpay`, `/wxpay-transfer` -> itself; anything else -> undefined. */
export function channelFromPath(path: string | undefined): NotifyRoute | undefined {
  const first = String(path ?? '').split('/').filter(Boolean)[0] ?? '';
  if (isChannel(first)) return first;
  const base = first.endsWith('-transfer') ? first.slice(0, -'-transfer'.length) : '';
  return base && isChannel(base) ? (first as NotifyRoute) : undefined;
}

export function toIncomingNotification(event: IntegratedRequestEvent): IncomingNotification {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
  const body = event.body ?? '';
  const rawBody = event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : String(body);
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (typeof v === 'string') query[k] = v;
  return { headers, rawBody, query };
}

export function createNotifyFunction(services: CoreServices) {
  return async function main(event: IntegratedRequestEvent): Promise<ComposedResponse> {
    if (!event || typeof event.httpMethod !== 'string') {
      return jsonReply(400, { code: 40001, msg: 'vk-pay-notify is called over HTTP only', action: 'check the parameters' });
    }
    const channel = channelFromPath(event.path);
    if (!channel) return jsonReply(404, { code: 40001, msg: `unknown channel in path ${String(event.path)}`, action: 'check the parameters' });
    if (event.httpMethod.toUpperCase() !== 'POST') {
      return jsonReply(405, { code: 40001, msg: 'notifications are POST requests', action: 'check the parameters' });
    }
    try {
      return composed(await services.notify(channel, toIncomingNotification(event)));
    } catch (err) {
      // The core answers every expected failure itself; reaching here is a defect. A 500 makes the gateway
      // retry later, which is the safe outcome for a notification we could not process.
      console.error('[vk-pay-notify] unhandled error', err);
      return jsonReply(500, { code: 'FAIL', message: 'internal error' });
    }
  };
}

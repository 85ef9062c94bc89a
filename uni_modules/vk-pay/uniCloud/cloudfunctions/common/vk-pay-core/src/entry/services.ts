/**
 * The contract between the three thin cloud entry points and the payment core. The adapters in this folder
 * turn uniCloud's calling conventions (cloud object, URL-ized function, timer) into calls on a CoreServices;
 * the core implements it (createCoreServices) and never sees uniCloud's event shapes.
 */
import type { Channel, IncomingNotification, NotifyReply } from '../providers/types';

export interface ClientInfo {
  clientIP: string;
  userAgent: string;
  /** client platform as uniCloud reports it (`app`, `web`, `mp-weixin`, ...), when known */
  platform?: string;
  /** `client` | `function` | `http` | `timing` | `server` */
  source: string;
  requestId: string;
}

/** uniCloud's integrated request, as `this.getHttpInfo()` returns it for URL-ized calls. */
export interface HttpInfo {
  /** relative to the function's configured URL path (`/createPayment`) */
  path: string;
  httpMethod: string;
  /** header names lower-cased */
  headers: Record<string, string>;
  queryStringParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export interface CloudRequest {
  method: string;
  clientInfo: ClientInfo;
  httpInfo?: HttpInfo;
  uniIdToken?: string;
}

export type CloudMethod = (params: Record<string, unknown>, req: CloudRequest) => Promise<unknown>;

/** A notify route: `/http/vk-pay-notify/<channel>` or `/http/vk-pay-notify/<channel>-transfer`. */
export type NotifyRoute = Channel | `${Channel}-transfer`;

export interface CoreServices {
  /** Client-callable methods of the cloud object, by name. Names starting with `_` are never exposed. */
  methods: Record<string, CloudMethod>;
  /**
   * Handles one provider notification; the reply is what the gateway expects (success or retry). The route is a
   * channel (payments, refunds) or `<channel>-transfer` (payouts).
   */
  notify(channel: NotifyRoute, req: IncomingNotification): Promise<NotifyReply>;
  /** One run of the sync timer; the summary is logged and returned by the dev timer route. */
  runTimer(trigger: { time: number }): Promise<Record<string, unknown>>;
}

/**
 * Alert delivery: undelivered rows of `vk_pay_alerts` (raised by the core, the timer and the thresholds) are
 * sent to every configured webhook - generic JSON, a DingTalk robot or a WeCom robot, in their own formats - at
 * most ONE message per kind per window (default 10 minutes; a conditional update on the kind's document decides
 * which caller may send). Alerts that arrive inside the window stay undelivered and ride in the next message,
 * so none is lost and nobody is paged every minute. Delivery goes through the injectable HttpClient.
 */
import { createHmac } from 'node:crypto';
import type { VkPayConfig } from '../config/schema';
import type { HttpClient } from '../platform/http';
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';
import { returnKindSlot, takeKindSlot, type AlertDoc } from './alert-store';
import { evaluateThresholds, resolveThresholds, type AlertThresholds } from './thresholds';

export type WebhookTarget = { kind: 'generic' | 'dingtalk' | 'wecom'; url: string; secret?: string };

export interface AlertMessage { kind: string; count: number; text: string; alerts: Array<Pick<AlertDoc, 'kind' | 'message' | 'out_trade_no' | 'create_date'>> }

const MAX_LINES = 10;

export function composeMessage(kind: string, alerts: AlertDoc[], env: string): AlertMessage {
  const lines = alerts.slice(0, MAX_LINES).map((a) => `- ${a.message}`);
  if (alerts.length > MAX_LINES) lines.push(`- ... and ${alerts.length - MAX_LINES} more`);
  const text = `[vk-pay ${env}] ${kind}: ${alerts.length} alert${alerts.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  return {
    kind, count: alerts.length, text,
    alerts: alerts.map((a) => ({ kind: a.kind, message: a.message, out_trade_no: a.out_trade_no, create_date: a.create_date })),
  };
}

/** The request each target expects. DingTalk robots with a secret need `timestamp` and `sign` in the URL. */
export function webhookRequest(target: WebhookTarget, msg: AlertMessage, now: number): { url: string; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (target.kind === 'dingtalk') {
    let url = target.url;
    if (target.secret) {
      const sign = createHmac('sha256', target.secret).update(`${now}\n${target.secret}`).digest('base64');
      url += `${url.includes('?') ? '&' : '?'}timestamp=${now}&sign=${encodeURIComponent(sign)}`;
    }
    return { url, headers, body: JSON.stringify({ msgtype: 'text', text: { content: msg.text } }) };
  }
  if (target.kind === 'wecom') {
    return { url: target.url, headers, body: JSON.stringify({ msgtype: 'text', text: { content: msg.text } }) };
  }
  const body = JSON.stringify({ source: 'vk-pay', kind: msg.kind, count: msg.count, text: msg.text, alerts: msg.alerts, sent_at: now });
  if (target.secret) {
    headers['x-vkpay-timestamp'] = String(now);
    headers['x-vkpay-signature'] = createHmac('sha256', target.secret).update(`${now}.${body}`).digest('hex');
  }
  return { url: target.url, headers, body };
}

/** 2xx, and for the robots `errcode: 0` in the body (they answer 200 with an error code). */
function accepted(target: WebhookTarget, status: number, body: string): boolean {
  if (status < 200 || status >= 300) return false;
  if (target.kind === 'generic') return true;
  try {
    return (JSON.parse(body) as { errcode?: number }).errcode === 0;
  } catch {
    return false;
  }
}

export interface AlertMonitorOptions {
  http: HttpClient;
  config: VkPayConfig;
  thresholds?: Partial<AlertThresholds>;
  /** per-request timeout */
  timeoutMs?: number;
}

export interface AlertMonitor {
  readonly thresholds: AlertThresholds;
  /** raises alerts for broken thresholds; returns how many */
  evaluate(now: number): Promise<number>;
  /** sends undelivered alerts, one message per kind per window; returns how many messages went out */
  deliver(now: number): Promise<number>;
  /** both, in that order (what the timer calls) */
  run(now: number): Promise<{ raised: number; delivered: number }>;
}

export function createAlertMonitor(ctx: StoreContext, opts: AlertMonitorOptions): AlertMonitor {
  const thresholds = resolveThresholds(opts.config, opts.thresholds);
  const targets = (opts.config.alerts?.webhooks ?? []) as WebhookTarget[];

  async function send(msg: AlertMessage, now: number): Promise<AlertDoc['delivery']> {
    return Promise.all(targets.map(async (target) => {
      const req = webhookRequest(target, msg, now);
      const label = `${target.kind} ${new URL(target.url).host}`;
      try {
        const res = await opts.http({ method: 'POST', url: req.url, headers: req.headers, body: req.body, timeoutMs: opts.timeoutMs ?? 5_000 });
        const ok = accepted(target, res.status, res.body);
        return ok ? { target: label, ok, status: res.status } : { target: label, ok, status: res.status, error: res.body.slice(0, 200) };
      } catch (err) {
        return { target: label, ok: false, error: (err as Error).message.slice(0, 200) };
      }
    }));
  }

  async function deliver(now: number): Promise<number> {
    const pending = await ctx.dao.select<AlertDoc & { _id: string }>({
      dbName: COLLECTIONS.alerts, whereJson: { delivered: false }, sortArr: [{ name: 'create_date', type: 'asc' }], pageSize: 500,
    });
    const byKind = new Map<string, Array<AlertDoc & { _id: string }>>();
    for (const a of pending.rows) byKind.set(a.kind, [...(byKind.get(a.kind) ?? []), a]);
    let messages = 0;
    for (const [kind, alerts] of byKind) {
      if (targets.length === 0) break; // stored only; nothing configured to deliver to
      if (!(await takeKindSlot(ctx, kind, 'last_sent_at', thresholds.windowMs, now))) continue;
      const delivery = await send(composeMessage(kind, alerts, opts.config.env), now);
      if (!delivery?.some((d) => d.ok)) {
        await returnKindSlot(ctx, kind, 'last_sent_at', now); // nobody got it: try again next run
        continue;
      }
      messages++;
      const _ = ctx.db.command;
      await ctx.dao.update({
        dbName: COLLECTIONS.alerts,
        whereJson: { _id: _.in(alerts.map((a) => a._id)), delivered: false },
        dataJson: { delivered: true, delivered_at: now, delivery },
      });
    }
    return messages;
  }

  return {
    thresholds,
    evaluate: (now) => evaluateThresholds(ctx, thresholds, now),
    deliver,
    async run(now) {
      const raised = await evaluateThresholds(ctx, thresholds, now);
      const delivered = await deliver(now);
      return { raised, delivered };
    },
  };
}

/**
 * Alert delivery: undelivered rows of `vk_pay_alerts` (raised by the core, the timer and the thresholds) are
 * sent to every configured webhook - generic JSON, a DingTalk robot or a WeCom robot, in their own formats - at
 * most ONE message per kind per window (default 10 minutes; a conditional update on the kind's document decides
 * which caller may send). Alerts that arrive inside the window stay undelivered and ride in the next message,
 * so none is lost and nobody is paged every minute. Delivery goes through the injectable HttpClient.
 */
import { createHmac } from 'node:crypto';
import type { VkPayConfig, WebhookConfig } from '../config/schema';
import type { HttpClient } from '../platform/http';
import { COLLECTIONS } from '../state/collections';
import type { StoreContext } from '../state/transition';
import { returnKindSlot, takeKindSlot, type AlertDoc } from './alert-store';
import { evaluateThresholds, resolveThresholds, type AlertThresholds } from './thresholds';

/** A configured webhook (config `alerts.webhooks[]`, validated by config/operations-schema.ts). */
export type WebhookTarget = Omit<WebhookConfig, 'msgtype'> & { msgtype?: WebhookConfig['msgtype'] };

export interface AlertMessage { kind: string; env: string; count: number; text: string; alerts: Array<Pick<AlertDoc, 'kind' | 'message' | 'out_trade_no' | 'create_date'>> }

const MAX_LINES = 10;

export function composeMessage(kind: string, alerts: AlertDoc[], env: string): AlertMessage {
  const lines = alerts.slice(0, MAX_LINES).map((a) => `- ${a.message}`);
  if (alerts.length > MAX_LINES) lines.push(`- ... and ${alerts.length - MAX_LINES} more`);
  const text = `[vk-pay ${env}] ${kind}: ${alerts.length} alert${alerts.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  return {
    kind, env, count: alerts.length, text,
    alerts: alerts.map((a) => ({ kind: a.kind, message: a.message, out_trade_no: a.out_trade_no, create_date: a.create_date })),
  };
}

/** The alert as markdown: a heading and one bullet per alert (both robots render this subset). */
export function markdownOf(msg: AlertMessage, env: string): { title: string; text: string } {
  const title = `vk-pay ${env}: ${msg.kind}`;
  const [, ...lines] = msg.text.split('\n');
  return { title, text: [`### ${title}`, `**${msg.count}** alert${msg.count === 1 ? '' : 's'}`, ...lines].join('\n') };
}

/** WeCom group robot: `text` with mentioned_list / mentioned_mobile_list, or `markdown` (content at most 4096 bytes). */
function wecomBody(target: WebhookTarget, msg: AlertMessage): Record<string, unknown> {
  if (target.msgtype === 'markdown') return { msgtype: 'markdown', markdown: { content: truncateBytes(markdownOf(msg, msg.env).text, 4096) } };
  const text: Record<string, unknown> = { content: msg.text };
  if (target.mentioned_list?.length) text.mentioned_list = target.mentioned_list;
  if (target.mentioned_mobile_list?.length) text.mentioned_mobile_list = target.mentioned_mobile_list;
  return { msgtype: 'text', text };
}

/** DingTalk custom robot: `text` or `markdown` (title + text), mentions in `at`. */
function dingtalkBody(target: WebhookTarget, msg: AlertMessage): Record<string, unknown> {
  const at = target.atMobiles?.length || target.isAtAll ? { at: { atMobiles: target.atMobiles ?? [], isAtAll: target.isAtAll === true } } : {};
  if (target.msgtype === 'markdown') {
    const md = markdownOf(msg, msg.env);
    // DingTalk only notifies a mentioned phone number when it also appears in a markdown text.
    const mentions = (target.atMobiles ?? []).map((m) => `@${m}`).join(' ');
    return { msgtype: 'markdown', markdown: { title: md.title, text: mentions ? `${md.text}\n\n${mentions}` : md.text }, ...at };
  }
  return { msgtype: 'text', text: { content: msg.text }, ...at };
}

function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s, 'utf8') <= max) return s;
  let out = s;
  while (Buffer.byteLength(`${out}\n...`, 'utf8') > max) out = out.slice(0, -16);
  return `${out}\n...`;
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
    return { url, headers, body: JSON.stringify(dingtalkBody(target, msg)) };
  }
  if (target.kind === 'wecom') {
    return { url: target.url, headers, body: JSON.stringify(wecomBody(target, msg)) };
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
  const targets: WebhookTarget[] = opts.config.alerts?.webhooks ?? [];

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

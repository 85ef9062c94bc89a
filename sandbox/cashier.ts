/**
 * The cashier: the page a person sees instead of WeChat's or Alipay's, for h5/native/wap/page/qr orders
 * (any sandbox order can be opened). Plain server-rendered HTML in Chinese (English by Accept-Language or
 * `?lang=en`): amount in yuan, subject, Pay and Cancel, and for WeChat a declined payment to try failures.
 * Pay marks the order paid (which raises its notification) and returns the person to the order's return URL;
 * Cancel leaves the order payable, as the real gateways do, and returns the person as the real ones would.
 */
import { fenToYuan } from '../uni_modules/vk-pay/common/money';
import { type GatewayContext, type GatewayRequest } from './context';
import type { SandboxCredentials } from './credentials';
import { dateTimeChina, redirect, send } from './http-io';
import { alipaySignContent, rsaSign } from './protocol/crypto';
import { alipaySigner } from './alipay/certs';
import { isSandboxChannel, type SandboxOrder } from './state';
import { DEFAULT_FAIL_REASON } from './control';
import { cashierLocale, cashierText, type CashierKey, type CashierLocale } from './cashier-i18n';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(locale: CashierLocale, title: string, body: string): string {
  return `<!doctype html><html lang="${locale === 'en' ? 'en' : 'zh-CN'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>
body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC',sans-serif;max-width:640px;margin:40px auto;padding:0 16px;color:#222}
.amount{font-size:40px;font-weight:600;margin:12px 0}.muted{color:#777;font-size:14px}
form{display:inline}button{font-size:18px;padding:10px 28px;margin:16px 8px 0 0;border-radius:6px;border:1px solid #bbb;background:#fff}
button.pay{background:#07c160;color:#fff;border-color:#07c160}button.fail{font-size:13px;padding:6px 12px;color:#a33;border-color:#e0b4b4}
table{border-collapse:collapse}td,th{padding:4px 8px;border-bottom:1px solid #eee;text-align:left}</style></head><body>${body}</body></html>`;
}

function html(r: GatewayRequest, locale: CashierLocale, status: number, title: string, body: string): void {
  send(r.res, status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-language': locale }, page(locale, title, body));
}

function localeOf(r: GatewayRequest): CashierLocale {
  const header = r.req.headers['accept-language'];
  return cashierLocale(r.query, typeof header === 'string' ? header : undefined);
}

/** The state word a person reads: a failed WeChat payment shows as failed, not merely closed. */
function statusKey(order: SandboxOrder): CashierKey {
  return order.failed_reason ? 'status.PAYERROR' : (`status.${order.status}` as CashierKey);
}

/**
 * Where the person goes back to. WeChat: the order's return URL or the h5 `redirect_url` appended to h5_url, after
 * paying and after backing out alike (WeChat says nothing on it). Alipay: after paying, return_url with the signed
 * trade facts; after backing out, quit_url bare (wap), or nowhere (the page product has no quit_url).
 */
function returnTarget(ctx: GatewayContext, order: SandboxOrder, redirectUrl: string | null, action: 'pay' | 'cancel' | 'fail'): string | undefined {
  if (order.channel === 'alipay' && action !== 'pay') return isWebUrl(order.quit_url) ? order.quit_url : undefined;
  const target = order.return_url ?? (redirectUrl || undefined);
  if (!isWebUrl(target)) return undefined;
  if (order.channel !== 'alipay') return target;
  return `${target}${target.includes('?') ? '&' : '?'}${alipayReturnParams(ctx.creds, order, ctx.now())}`;
}

function isWebUrl(u: string | undefined): u is string {
  return typeof u === 'string' && /^https?:\/\//.test(u);
}

/** Alipay's synchronous return carries signed trade facts on the return URL (never proof of payment by itself). */
function alipayReturnParams(creds: SandboxCredentials, order: SandboxOrder, now: number): string {
  const fields: Record<string, string> = {
    app_id: order.app_id, auth_app_id: order.auth_app_id ?? order.app_id, charset: 'utf-8', method: `alipay.trade.${order.pay_type}.pay.return`,
    out_trade_no: order.out_trade_no, seller_id: order.merchant_id, timestamp: dateTimeChina(now),
    total_amount: fenToYuan(order.amount), trade_no: order.transaction_id, version: '1.0',
  };
  const sign = rsaSign(alipaySignContent(fields, ['sign', 'sign_type']), alipaySigner(creds).privateKeyPem);
  return new URLSearchParams({ ...fields, sign, sign_type: 'RSA2' }).toString();
}

export async function handleCashier(ctx: GatewayContext, r: GatewayRequest): Promise<void> {
  const locale = localeOf(r);
  const t = cashierText(locale);
  const m = r.subPath.match(/^\/([^/]+)\/([^/]+)(?:\/(pay|cancel|fail))?$/);
  const channel = m?.[1];
  if (!m || !isSandboxChannel(channel)) return html(r, locale, 404, t('notFound'), `<h2>${esc(t('notFound'))}</h2>`);
  const outTradeNo = decodeURIComponent(m[2]);
  const action = m[3] as 'pay' | 'cancel' | 'fail' | undefined;
  const order = ctx.ledger.get(channel, outTradeNo);
  if (!order) return html(r, locale, 404, t('notFound'), `<h2>${esc(t('notFound'))}</h2><p class="muted">${esc(outTradeNo)}</p>`);
  const form = action ? new URLSearchParams(r.rawBody) : r.query;
  const redirectUrl = form.get('redirect_url');

  if (action && r.method === 'POST') {
    const out = action === 'pay' ? ctx.ledger.pay(channel, outTradeNo)
      : action === 'fail' ? ctx.ledger.fail(channel, outTradeNo, DEFAULT_FAIL_REASON) : ctx.ledger.cancel(channel, outTradeNo);
    const target = returnTarget(ctx, order, redirectUrl, action);
    if (out.ok && target) return redirect(r.res, target);
    const text = out.ok
      ? (action === 'pay' ? t('paid') : action === 'fail' ? t('failed', { reason: DEFAULT_FAIL_REASON }) : t('cancelled'))
      : out.reason === 'paid' ? t('alreadyPaid') : out.reason === 'not_found' ? t('notFound') : t('closed');
    return html(r, locale, out.ok ? 200 : 409, text, `<h2>${esc(text)}</h2><p class="muted">${esc(order.subject)} · ¥${fenToYuan(order.amount)}</p>`);
  }

  const base = `/sandbox/cashier/${channel}/${encodeURIComponent(outTradeNo)}`;
  const hidden = (redirectUrl ? `<input type="hidden" name="redirect_url" value="${esc(redirectUrl)}">` : '')
    + (r.query.get('lang') ? `<input type="hidden" name="lang" value="${esc(locale)}">` : '');
  const lang = r.query.get('lang') ? `?lang=${encodeURIComponent(locale)}` : '';
  const formFor = (act: string, cls: string, label: string) => `<form method="post" action="${base}/${act}${lang}">${hidden}<button class="${cls}" type="submit">${esc(label)}</button></form>`;
  const buttons = order.status === 'NOTPAY'
    ? formFor('pay', 'pay', t('pay')) + formFor('cancel', 'cancel', t('cancel'))
      + (channel === 'alipay' ? '' : `<p class="muted">${formFor('fail', 'fail', t('fail'))} ${esc(t('failHint'))}</p>`)
    : `<p><strong>${esc(t(statusKey(order)))}</strong></p>`;
  const channelName = t(`channel.${channel}` as CashierKey);
  html(r, locale, 200, t('title.cashier', { channel: channelName }), `<p class="muted">${esc(channelName)} · ${esc(t('sandbox'))}</p>
<div class="subject">${esc(order.subject)}</div><div class="amount">¥${fenToYuan(order.amount)}</div>
<p class="muted">${esc(t('order', { no: order.out_trade_no }))} · ${esc(t(statusKey(order)))}</p>${buttons}`);
}

/** `/sandbox/`: the most recent orders with links to their cashier pages, for a person trying things out. */
export function handleIndex(ctx: GatewayContext, r: GatewayRequest): void {
  const locale = localeOf(r);
  const t = cashierText(locale);
  const orders = Object.values(ctx.state.data.orders).sort((a, b) => b.created_at - a.created_at).slice(0, 50);
  const rows = orders.map((o) => `<tr><td>${esc(t(`channel.${o.channel}` as CashierKey))}</td><td><a href="/sandbox/cashier/${o.channel}/${encodeURIComponent(o.out_trade_no)}">${esc(o.out_trade_no)}</a></td>`
    + `<td>${esc(o.subject)}</td><td>¥${fenToYuan(o.amount)}</td><td>${esc(t(statusKey(o)))}</td></tr>`).join('');
  const head = `<tr><th>${esc(t('col.channel'))}</th><th>${esc(t('col.order'))}</th><th>${esc(t('col.subject'))}</th><th>${esc(t('col.amount'))}</th><th>${esc(t('col.status'))}</th></tr>`;
  html(r, locale, 200, t('index.title'), `<h2>${esc(t('index.title'))}</h2><p class="muted">${esc(t('index.gateways'))}</p>`
    + (rows ? `<table>${head}${rows}</table>` : `<p>${esc(t('index.empty'))}</p>`));
}

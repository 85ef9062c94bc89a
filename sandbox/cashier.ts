/**
 * The cashier: the page a person sees instead of WeChat's or Alipay's, for h5/native/wap/page/qr orders
 * (any sandbox order can be opened). Plain server-rendered HTML: amount in yuan, subject, Pay and Cancel.
 * Pay marks the order paid (which raises its notification) and returns the person to the order's return URL.
 */
import { fenToYuan } from '../uni_modules/vk-pay/common/money';
import { type GatewayContext, type GatewayRequest } from './context';
import type { SandboxCredentials } from './credentials';
import { dateTimeChina, redirect, send } from './http-io';
import { alipaySignContent, rsaSign } from './protocol/crypto';
import { isSandboxChannel, type SandboxChannel, type SandboxOrder } from './state';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const CHANNEL_NAMES: Record<SandboxChannel, string> = { wxpay: '微信支付 (v3)', 'wxpay-v2': '微信支付 (v2)', alipay: '支付宝' };
const STATUS_NAMES: Record<string, string> = { NOTPAY: '待支付', SUCCESS: '已支付', CLOSED: '已关闭' };

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>
body{font-family:system-ui,sans-serif;max-width:640px;margin:40px auto;padding:0 16px;color:#222}
.amount{font-size:40px;font-weight:600;margin:12px 0}.muted{color:#777;font-size:14px}
form{display:inline}button{font-size:18px;padding:10px 28px;margin:16px 8px 0 0;border-radius:6px;border:1px solid #bbb;background:#fff}
button.pay{background:#07c160;color:#fff;border-color:#07c160}</style></head><body>${body}</body></html>`;
}

function html(r: GatewayRequest, status: number, title: string, body: string): void {
  send(r.res, status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, page(title, body));
}

/** Where the person goes back to: the order's return URL, or the h5 `redirect_url` appended to h5_url. */
function returnTarget(ctx: GatewayContext, order: SandboxOrder, redirectUrl: string | null): string | undefined {
  const target = order.return_url ?? (redirectUrl || undefined);
  if (!target || !/^https?:\/\//.test(target)) return undefined;
  if (order.channel !== 'alipay') return target;
  return `${target}${target.includes('?') ? '&' : '?'}${alipayReturnParams(ctx.creds, order, ctx.now())}`;
}

/** Alipay's synchronous return carries signed trade facts on the return URL (never proof of payment by itself). */
function alipayReturnParams(creds: SandboxCredentials, order: SandboxOrder, now: number): string {
  const fields: Record<string, string> = {
    app_id: order.app_id, auth_app_id: order.app_id, charset: 'utf-8', method: `alipay.trade.${order.pay_type}.pay.return`,
    out_trade_no: order.out_trade_no, seller_id: order.merchant_id, timestamp: dateTimeChina(now),
    total_amount: fenToYuan(order.amount), trade_no: order.transaction_id, version: '1.0',
  };
  const sign = rsaSign(alipaySignContent(fields, ['sign', 'sign_type']), creds.alipay.alipay.privateKeyPem);
  return new URLSearchParams({ ...fields, sign, sign_type: 'RSA2' }).toString();
}

export async function handleCashier(ctx: GatewayContext, r: GatewayRequest): Promise<void> {
  const m = r.subPath.match(/^\/([^/]+)\/([^/]+)(?:\/(pay|cancel))?$/);
  const channel = m?.[1];
  if (!m || !isSandboxChannel(channel)) return html(r, 404, '找不到订单', '<h2>找不到订单</h2>');
  const outTradeNo = decodeURIComponent(m[2]);
  const action = m[3];
  const order = ctx.ledger.get(channel, outTradeNo);
  if (!order) return html(r, 404, '找不到订单', `<h2>找不到订单</h2><p class="muted">${esc(outTradeNo)}</p>`);
  const redirectUrl = action ? new URLSearchParams(r.rawBody).get('redirect_url') : r.query.get('redirect_url');

  if (action && r.method === 'POST') {
    const out = action === 'pay' ? ctx.ledger.pay(channel, outTradeNo) : ctx.ledger.cancel(channel, outTradeNo);
    const target = returnTarget(ctx, order, redirectUrl);
    if (out.ok && target) return redirect(r.res, target);
    const text = out.ok ? (action === 'pay' ? '支付成功' : '已取消支付') : out.reason === 'paid' ? '订单已支付，请勿重复支付' : '订单已关闭，无法支付';
    return html(r, out.ok ? 200 : 409, text, `<h2>${esc(text)}</h2><p class="muted">${esc(order.subject)} · ¥${fenToYuan(order.amount)}</p>`);
  }

  const base = `/sandbox/cashier/${channel}/${encodeURIComponent(outTradeNo)}`;
  const hidden = redirectUrl ? `<input type="hidden" name="redirect_url" value="${esc(redirectUrl)}">` : '';
  const buttons = order.status === 'NOTPAY'
    ? `<form method="post" action="${base}/pay">${hidden}<button class="pay" type="submit">支付 Pay</button></form>`
      + `<form method="post" action="${base}/cancel">${hidden}<button type="submit">取消 Cancel</button></form>`
    : `<p><strong>${esc(STATUS_NAMES[order.status])}</strong></p>`;
  html(r, 200, `${CHANNEL_NAMES[channel]} 收银台`, `<p class="muted">${esc(CHANNEL_NAMES[channel])} · 沙箱收银台 (sandbox)</p>
<div class="subject">${esc(order.subject)}</div><div class="amount">¥${fenToYuan(order.amount)}</div>
<p class="muted">订单号 ${esc(order.out_trade_no)} · ${esc(STATUS_NAMES[order.status])}</p>${buttons}`);
}

/** `/sandbox/`: the most recent orders with links to their cashier pages, for a person trying things out. */
export function handleIndex(ctx: GatewayContext, r: GatewayRequest): void {
  const orders = Object.values(ctx.state.data.orders).sort((a, b) => b.created_at - a.created_at).slice(0, 50);
  const rows = orders.map((o) => `<tr><td>${esc(CHANNEL_NAMES[o.channel])}</td><td><a href="/sandbox/cashier/${o.channel}/${encodeURIComponent(o.out_trade_no)}">${esc(o.out_trade_no)}</a></td>`
    + `<td>${esc(o.subject)}</td><td>¥${fenToYuan(o.amount)}</td><td>${esc(STATUS_NAMES[o.status])}</td></tr>`).join('');
  html(r, 200, 'vk-pay sandbox', `<h2>vk-pay sandbox</h2><p class="muted">WeChat Pay: /sandbox/wxpay/ · Alipay: /sandbox/alipay/gateway.do</p>`
    + (rows ? `<table>${rows}</table>` : '<p>还没有订单 (no orders yet)</p>'));
}

/**
 * Where the sandbox publishes statements: WeChat v3 `GET /v3/bill/tradebill` (signed like every v3 call,
 * answering a SHA1 of the plain bill and a download URL) and the download itself (`GET /v3/billdownload/file`,
 * signed request, raw answer, gzip when tar_type=GZIP was asked); Alipay's
 * `alipay.data.dataservice.bill.downloadurl.query` (answered by the gateway module) and the zip behind its URL
 * (`GET /sandbox/alipay/bill/download`, no signature, as Alipay's file host). A day is published once it is
 * over (UTC+8) and had trades; download URLs live 5 minutes (WeChat) / 30 seconds (Alipay) and are one-use.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { GatewayContext, GatewayRequest } from '../context';
import { send, sendJson } from '../http-io';
import type { SandboxChannel, SandboxState } from '../state';
import { chinaDay, dayRows, type StatementFaults } from './day';
import { merchantById, subMerchantOf } from '../wxpay/merchants';
import { inScope, type AlipayScope } from '../alipay/app-auth';
import type { SandboxOrder } from '../state';
import { alipayBillZip, wxpayBillText } from './writers';

interface Download { bytes: Buffer; expires: number; channel: SandboxChannel }
const downloads = new WeakMap<SandboxState, Map<string, Download>>();

function keep(ctx: GatewayContext, channel: SandboxChannel, bytes: Buffer, ttlMs: number): string {
  let m = downloads.get(ctx.state);
  if (!m) downloads.set(ctx.state, (m = new Map()));
  for (const [k, d] of m) if (d.expires <= ctx.now()) m.delete(k);
  const token = randomBytes(24).toString('base64url');
  m.set(token, { bytes, expires: ctx.now() + ttlMs, channel });
  return token;
}

function take(ctx: GatewayContext, channel: SandboxChannel, token: string | null): Buffer | undefined {
  const m = downloads.get(ctx.state);
  const d = token ? m?.get(token) : undefined;
  if (!d || d.channel !== channel || d.expires <= ctx.now()) return undefined;
  m!.delete(token!);
  return d.bytes;
}

const faultsOf = (ctx: GatewayContext, channel: SandboxChannel): StatementFaults => ctx.state.data.faults[channel]?.statement ?? {};

export type StatementOutcome = { ok: true; day: ReturnType<typeof dayRows> } | { ok: false; reason: 'bad_date' | 'not_ready' };

/** The day's rows, or why there is no statement to give. */
export function statementOf(ctx: GatewayContext, channel: SandboxChannel, date: string): StatementOutcome {
  const day = chinaDay(date);
  if (!day) return { ok: false, reason: 'bad_date' };
  const faults = faultsOf(ctx, channel);
  if (day.end > ctx.now() || faults.pending) return { ok: false, reason: 'not_ready' };
  const rows = dayRows(ctx.state, channel, day, faults);
  if (rows.payments.length === 0 && rows.refunds.length === 0) return { ok: false, reason: 'not_ready' };
  return { ok: true, day: rows };
}

type V3Fail = (f: { status: number; code: string; message: string }) => void;
type V3Send = (status: number, value: unknown) => void;

/** v3 `/v3/bill/tradebill` and `/v3/billdownload/file` (the request's signature is already verified). */
export function handleWxpayBill(ctx: GatewayContext, r: GatewayRequest, ok: V3Send, fail: V3Fail): void {
  if (r.subPath === '/v3/billdownload/file') {
    const bytes = take(ctx, 'wxpay', r.query.get('token'));
    if (!bytes) return fail({ status: 400, code: 'INVALID_REQUEST', message: '下载链接已过期或无效' });
    return void send(r.res, 200, { 'content-type': 'application/octet-stream' }, bytes);
  }
  const date = r.query.get('bill_date') ?? '';
  const billType = r.query.get('bill_type') ?? 'ALL';
  const tarType = r.query.get('tar_type');
  if (!['ALL', 'SUCCESS', 'REFUND'].includes(billType)) return fail({ status: 400, code: 'PARAM_ERROR', message: 'bill_type取值无效' });
  if (tarType !== null && tarType !== 'GZIP') return fail({ status: 400, code: 'PARAM_ERROR', message: 'tar_type取值无效' });
  const out = statementOf(ctx, 'wxpay', date);
  if (!out.ok) {
    return out.reason === 'bad_date'
      ? fail({ status: 400, code: 'PARAM_ERROR', message: 'bill_date格式不正确，应为yyyy-MM-dd' })
      : fail({ status: 400, code: 'NO_STATEMENT_EXIST', message: '账单文件不存在' });
  }
  // each merchant downloads its own trades; a service provider those of all its sub-merchants, or of the one it names
  const subMchid = r.query.get('sub_mchid') ?? undefined;
  const me = merchantById(ctx.creds, ctx.creds.wxpay.mchId);
  if (subMchid !== undefined && !subMerchantOf(me!, subMchid)) return fail({ status: 400, code: 'PARAM_ERROR', message: me?.subMerchants?.length ? '子商户号sub_mchid与服务商不存在受理关系' : '普通商户不允许传sub_mch_id' });
  const own = (o: SandboxOrder) => o.merchant_id === ctx.creds.wxpay.mchId && (subMchid === undefined || o.sub_merchant_id === subMchid);
  const mine = { payments: out.day.payments.filter((x) => own(x.order)), refunds: out.day.refunds.filter((x) => own(x.order)) };
  if (mine.payments.length === 0 && mine.refunds.length === 0) return fail({ status: 400, code: 'NO_STATEMENT_EXIST', message: '账单文件不存在' });
  const day = billType === 'SUCCESS' ? { ...mine, refunds: [] } : billType === 'REFUND' ? { ...mine, payments: [] } : mine;
  const plain = Buffer.from(wxpayBillText(day), 'utf8');
  const hash = createHash('sha1').update(plain).digest('hex');
  let file = plain;
  if (faultsOf(ctx, 'wxpay').corrupt) {
    file = Buffer.from(plain);
    file[file.length - 3] ^= 0x01; // damaged in transit: the hash given no longer matches
  }
  const token = keep(ctx, 'wxpay', tarType === 'GZIP' ? gzipSync(file) : file, 5 * 60_000);
  ok(200, { hash_type: 'SHA1', hash_value: hash, download_url: `${ctx.publicBaseUrl}/sandbox/wxpay/v3/billdownload/file?token=${token}` });
}

/** The Alipay answer's fields for a bill query, or the business error to answer. */
export function alipayBillUrl(ctx: GatewayContext, date: string, scope?: AlipayScope): { url: string } | { sub_code: string; sub_msg: string } {
  const out = statementOf(ctx, 'alipay', date);
  if (!out.ok) return out.reason === 'bad_date' ? { sub_code: 'isv.invalid-arguments', sub_msg: 'bill_date格式错误' } : { sub_code: 'isp.bill_not_exist', sub_msg: '账单不存在' };
  // the bill of the merchant the call acts for (the app's own, or an authorising merchant's: app_auth_token)
  const day = scope ? { payments: out.day.payments.filter((x) => inScope(x.order, scope)), refunds: out.day.refunds.filter((x) => inScope(x.order, scope)) } : out.day;
  if (day.payments.length === 0 && day.refunds.length === 0) return { sub_code: 'isp.bill_not_exist', sub_msg: '账单不存在' };
  let zip = alipayBillZip(day, scope ? { ...ctx.creds, alipay: { ...ctx.creds.alipay, sellerId: scope.seller_id } } : ctx.creds, date, ctx.now());
  if (faultsOf(ctx, 'alipay').corrupt) zip = zip.subarray(0, Math.floor(zip.length / 2)); // cut short in transit
  return { url: `${ctx.publicBaseUrl}/sandbox/alipay/bill/download?token=${keep(ctx, 'alipay', zip, 30_000)}` };
}

/** GET /sandbox/alipay/bill/download?token= : the zip, unsigned, once. */
export function handleAlipayBillDownload(ctx: GatewayContext, r: GatewayRequest): void {
  const bytes = r.method === 'GET' ? take(ctx, 'alipay', r.query.get('token')) : undefined;
  if (!bytes) return sendJson(r.res, 404, { code: 'NOT_FOUND', message: 'bill file expired or unknown' });
  send(r.res, 200, { 'content-type': 'application/zip', 'content-disposition': 'attachment; filename="bill.zip"' }, bytes);
}

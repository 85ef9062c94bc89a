/**
 * The statement parsers as the cloud bundle carries them (esbuild, target node16, CommonJS, every npm package
 * inside: csv-parse sync and stream, fflate) run on the Node versions uniCloud's functions use and on this
 * process's Node: a WeChat bill gunzipped, hash-checked, parsed whole and as a stream; an Alipay zip of GBK files
 * with GBK entry names, decoded by the runtime's own TextDecoder('gbk') (full ICU), so no code-page library is
 * bundled. The same answers on every runtime.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gbkZip } from '../../sandbox/statements/gbk-zip';
import { ensureNodeRuntime, UNICLOUD_NODE_VERSIONS } from './node-runtimes';

const run = promisify(execFile);
const SRC = path.resolve(__dirname, '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/statements');
let dir: string;
let bundle: string;
let bundledPackages: string[] = [];

const q = (cells: string[]) => cells.map((c) => '`' + c).join(',');
const HEADER = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const BILL = [HEADER,
  q(['2026-12-01 10:00:00', 'wx1', '1900000001', '0', '', '4200000001', 'VK001', 'o1', 'NATIVE', 'SUCCESS', 'OTHERS', 'CNY', '12.30', '0.00', '0', '0', '0.00', '0.00', '', '', '课程', '', '0.07000', '0.60%', '12.30', '0.00', '']),
  '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
  q(['1', '12.30', '0.00', '0.00', '0.07000', '12.30', '0.00']), ''].join('\r\n');
const ALIPAY = ['#支付宝业务明细查询', '#-----------------------------------------业务明细列表----------------------------------------',
  '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注',
  ['2026120122001', 'VK101', '交易', '课程', '2026-12-01 09:59:00', '2026-12-01 10:00:00', '', '', '', '', 'a***', '20.00', '20.00', '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', '', '-0.12', '0.00', ''].map((c) => `${c}\t`).join(','),
  '#-----------------------------------------业务明细列表结束------------------------------------', '#交易合计：1笔，退款合计：0笔'].join('\r\n');

const ENTRY = `
const { parseWxpayBill, streamWxpayBill, wxpayBillBytes, wxpayBillHashMatches } = require(${JSON.stringify(path.join(SRC, 'wxpay-bill.ts'))});
const { parseAlipayBillZip } = require(${JSON.stringify(path.join(SRC, 'alipay-bill.ts'))});
const fs = require('fs');
(async () => {
  const [gz, sha1, zip] = process.argv.slice(2);
  const plain = wxpayBillBytes(fs.readFileSync(gz), true);
  const whole = parseWxpayBill(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  const s = streamWxpayBill((async function* () { for (let i = 0; i < plain.length; i += 5) yield plain.subarray(i, i + 5); })());
  const streamed = [];
  for await (const r of s.rows) streamed.push(r);
  const alipay = parseAlipayBillZip(fs.readFileSync(zip));
  console.log(JSON.stringify({ node: process.version, hash: wxpayBillHashMatches(plain, 'SHA1', sha1), whole, streamed, summary: s.summary(), alipay }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vkpay-statements-rt-'));
  bundle = path.join(dir, 'entry.cjs');
  const built = await build({ stdin: { contents: ENTRY, resolveDir: SRC, loader: 'js' }, bundle: true, platform: 'node', target: 'node16', format: 'cjs', outfile: bundle, logLevel: 'silent', metafile: true });
  bundledPackages = [...new Set(Object.keys(built.metafile.inputs).map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p): p is string => !!p))].sort();
  await writeFile(path.join(dir, 'bill.gz'), gzipSync(Buffer.from(BILL)));
  await writeFile(path.join(dir, 'bill.zip'), gbkZip({ '2088_20261201_业务明细.csv': ALIPAY }));
}, 120_000);
afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

it('bundles no code-page library: GBK is the runtime\'s own decoder', () => {
  expect(bundledPackages).toEqual(['csv-parse', 'fflate']);
});

const RUNTIMES: { label: string; version?: string }[] = [...UNICLOUD_NODE_VERSIONS.map((version) => ({ label: `Node ${version}`, version })), { label: `this process's Node ${process.version}` }];

describe.each(RUNTIMES)('$label', ({ version }) => {
  it('parses both providers\' statements from the bundled code', async () => {
    const bin = version ? (await ensureNodeRuntime(version)).bin : process.execPath;
    const sha1 = createHash('sha1').update(BILL).digest('hex');
    const { stdout } = await run(bin, [bundle, path.join(dir, 'bill.gz'), sha1, path.join(dir, 'bill.zip')], { timeout: 60_000 });
    const out = JSON.parse(stdout);
    expect(out.node).toBe(version ? `v${version}` : process.version);
    expect(out.hash).toBe(true);
    expect(out.whole.rows).toEqual([{ kind: 'payment', out_trade_no: 'VK001', transaction_id: '4200000001', time: '2026-12-01 10:00:00', amount: 1230, fee: 7 }]);
    expect(out.streamed).toEqual(out.whole.rows);
    expect(out.summary).toEqual({ count: 1, amount: 1230, refunds: 0, fees: 7 });
    expect(out.alipay.rows).toEqual([{ kind: 'payment', out_trade_no: 'VK101', transaction_id: '2026120122001', time: '2026-12-01 10:00:00', amount: 2000, fee: 12 }]);
  }, 180_000);
});

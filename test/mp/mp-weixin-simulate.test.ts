// @vitest-environment jsdom
/**
 * A WeChat mini-program payment, run: the demo's mp-weixin build (real uni-app toolchain, mp-build.ts) in
 * WeChat's custom-component simulator (mini-program.ts) with `wx` faked only at the platform boundary
 * (wx-device.ts), against the local host and its sandbox in a process of their own (host-process.ts).
 *
 * The checkout page loads the server's pay options over uniCloud's client (local debugging: /system/ping,
 * /system/check-function, /cloudfunctions/vk-pay-co, all through wx.request), offers WeChat Pay as 小程序支付,
 * and Pay in `<vk-pay>` does what it does on a phone: wx.login -> getOpenid, createPayment, wx.requestPayment
 * with the server's parameters (the sheet checks the paySign with the merchant's public key and pays the
 * prepay_id at the sandbox), then queryPayment until the order is paid, and `success` takes the page to the
 * result page. Backing out of the sheet (`requestPayment:fail cancel`) ends in `cancel` with the order unpaid.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostProcess, type HostProcess } from './host-process';
import { ensureMpWeixinBuild } from './mp-build';
import { launchMiniProgram, tap, textOf, type MiniProgram, type SimComponent } from './mini-program';
import { createWxDevice, verifyPaySign, type WxDevice } from './wx-device';

const PAY_BUTTON = '.page >>> .vk-pay__button';
const WAIT = { timeout: 30_000, interval: 50 };

let host: HostProcess;
let device: WxDevice;
let mp: MiniProgram;
let creds: any;
let buildPort: number;
let deviceOptions: Parameters<typeof createWxDevice>[0];

beforeAll(async () => {
  const started = Date.now();
  const build = await ensureMpWeixinBuild();
  const built = Date.now();
  buildPort = build.port;
  host = await startHostProcess(build.port);
  creds = host.credentials();
  // kept as one object: the device reads it at each call, so a later test can hand it another host's keys
  deviceOptions = {
    hostUrl: host.url,
    appId: creds.wxpay.apps.mp.appId,
    merchantPublicKeyPem: creds.wxpay.merchant.publicKeyPem,
    user: 'mp-payer',
  };
  device = createWxDevice(deviceOptions);
  // the app's user signed in earlier (uni-id keeps the token in device storage, where the page finds it)
  const login = (await host.post('/__dev/login', { uid: 'mp-user' })).json;
  device.storage.set('uni_id_token', login.token);
  device.storage.set('uni_id_token_expired', login.tokenExpired);
  mp = launchMiniProgram(build.dir, device.wx);
  console.log(`mp-weixin build ${build.rebuilt ? `made in ${built - started} ms` : 'reused'} (port ${build.port}); host started in ${Date.now() - built} ms`);
}, 300_000);

afterAll(async () => {
  await host?.close();
});

/** The checkout page once the server's options are in: WeChat Pay, 小程序支付, a recharge of ¥0.01. */
async function checkout(): Promise<SimComponent> {
  const page = mp.openPage('pages/checkout/checkout');
  await expect.poll(() => textOf(page, '.limit-hint'), WAIT).toBeTruthy();
  expect(textOf(page, '.choice--on')).toBe('微信支付');
  expect(textOf(page, PAY_BUTTON)).toBe('支付 ¥0.01');
  return page;
}

const lastOrderNo = () => device.storage.get('vkpay:lastOrder') as string;

describe('<vk-pay> of the mp-weixin build in miniprogram-simulate', () => {
  it('Pay: login code -> openid -> createPayment -> requestPayment checked and paid at the sandbox -> success after the order is paid', async () => {
    device.nextSheet = 'pay';
    const sheetsBefore = device.sheets.length;
    const page = await checkout();
    tap(page, PAY_BUTTON);
    await expect.poll(() => device.navigations.length, WAIT).toBe(1);
    const no = lastOrderNo();
    expect(device.navigations[0]).toBe(`/pages/result/result?out_trade_no=${no}`);

    // the sheet got the server's v3 parameters, and the paySign is the merchant's over this app's id
    expect(device.sheets.length).toBe(sheetsBefore + 1);
    const sheet = device.sheets[sheetsBefore];
    expect(sheet).toMatchObject({ signatureValid: true, outcome: 'paid', errMsg: 'requestPayment:ok' });
    expect(sheet.args).toMatchObject({ signType: 'RSA', package: expect.stringMatching(/^prepay_id=wx\w+$/), timeStamp: expect.stringMatching(/^\d{10}$/), nonceStr: expect.any(String), paySign: expect.any(String) });
    // ...and the same check refuses what WeChat would refuse: another app's id, another prepay_id
    expect(verifyPaySign('wx0000000000000000', sheet.args, creds.wxpay.merchant.publicKeyPem)).toBe(false);
    expect(verifyPaySign(creds.wxpay.apps.mp.appId, { ...sheet.args, package: 'prepay_id=wx000000' }, creds.wxpay.merchant.publicKeyPem)).toBe(false);

    // success came after the order row was paid, for this user, by the openid the login code gave
    const order = await host.order(no);
    expect(order.order).toMatchObject({ out_trade_no: no, status: 'paid', provider: 'wxpay', pay_type: 'mp', amount: 1, user_id: 'mp-user' });

    // every call went through uniCloud's client to the host (local debugging), none off the machine
    expect(device.offMachine).toEqual([]);
    const paths = device.requests.map((r) => new URL(r.split(' ')[1]).pathname);
    expect(paths).toContain('/cloudfunctions/vk-pay-co');
    expect(paths.filter((p) => p.startsWith('/http/'))).toEqual([]);
  });

  it('backing out of the sheet (requestPayment:fail cancel) -> cancel, and the order stays unpaid', async () => {
    device.nextSheet = 'cancel';
    const sheetsBefore = device.sheets.length;
    const navigationsBefore = device.navigations.length;
    const page = await checkout();
    tap(page, PAY_BUTTON);
    await expect.poll(() => textOf(page, '.cancelled-note'), WAIT).toBeTruthy();
    const no = lastOrderNo();
    expect(device.sheets.length).toBe(sheetsBefore + 1);
    expect(device.sheets[sheetsBefore]).toMatchObject({ signatureValid: true, outcome: 'cancel', errMsg: 'requestPayment:fail cancel' });
    expect(device.navigations.length).toBe(navigationsBefore);
    const order = await host.order(no);
    expect(order.order.status).not.toBe('paid');
    expect(order.order).toMatchObject({ out_trade_no: no, status: 'closed', close_reason: 'cancelled' });
    // the button is back for another try
    expect(textOf(page, PAY_BUTTON)).toBe('支付 ¥0.01');
  });

  it('the same payment with the merchant in platform-certificate mode: the host verifies the sandbox by downloaded /v3/certificates', async () => {
    // a host of its own on the port the build calls, with the sandbox signing answers and notifications by a
    // platform certificate (VKPAY_KEY_MODES, as `npm start` takes it) and the local config following it; the
    // mini program stays loaded (as on a phone), the device now holds the new sandbox's app and merchant
    await host.close();
    host = await startHostProcess(buildPort, { VKPAY_KEY_MODES: 'wxpay=platform-cert' });
    creds = host.credentials();
    expect((await host.post('/sandbox/control/key-mode', { channel: 'wxpay', mode: 'platform-cert' })).json).toMatchObject({ wxpay: 'platform-cert' });
    Object.assign(deviceOptions, { appId: creds.wxpay.apps.mp.appId, merchantPublicKeyPem: creds.wxpay.merchant.publicKeyPem, user: 'mp-payer-cert' });
    const login = (await host.post('/__dev/login', { uid: 'mp-user-cert' })).json;
    device.storage.set('uni_id_token', login.token);
    device.storage.set('uni_id_token_expired', login.tokenExpired);
    device.nextSheet = 'pay';
    const sheetsBefore = device.sheets.length;
    const navigationsBefore = device.navigations.length;
    const page = await checkout();
    tap(page, PAY_BUTTON);
    await expect.poll(() => device.navigations.length, WAIT).toBe(navigationsBefore + 1);
    const no = lastOrderNo();
    expect(device.sheets[sheetsBefore]).toMatchObject({ signatureValid: true, outcome: 'paid' });
    const order = await host.order(no);
    expect(order.order).toMatchObject({ out_trade_no: no, status: 'paid', pay_type: 'mp', user_id: 'mp-user-cert' });
  });
});

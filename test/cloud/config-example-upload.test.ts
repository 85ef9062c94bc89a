/**
 * config.example.js loads as documented: copied as `uni-config-center/vk-pay/config.js` (with its key files in
 * `keys/` beside it) into an uploaded vk-pay-co, whose node_modules hold uni-config-center and the built
 * vk-pay-core, it is read through `require('uni-config-center')({ pluginId: 'vk-pay' }).config()` and accepted by
 * the core's loadConfig, on this process's Node and on Node 16 and 18 (the runtimes uniCloud uses), with no
 * module loaded from outside the function's folder. It is a production config: nothing calls a provider.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApplePki } from '../../sandbox/appleiap/pki';
import { ensureNodeRuntime, UNICLOUD_NODE_VERSIONS } from './node-runtimes';
import { buildCloudBundle, createUploadLayout, ROOT, type UploadLayout } from './upload-layout';
import { runUploaded } from './uploaded-runner';

const EXAMPLE = path.join(ROOT, 'uni_modules', 'uni-config-center', 'uniCloud', 'cloudfunctions', 'common', 'uni-config-center', 'vk-pay', 'config.example.js');
const KEY_FILES = { private: ['wxpay_apiclient_key.pem', 'alipay_app_private_key.pem'], public: ['wxpay_pub_key.pem', 'alipay_public_key.pem'] };

let layout: UploadLayout;
let fnDir: string;

beforeAll(() => {
  buildCloudBundle();
  layout = createUploadLayout('vkpay-config-example-');
  fnDir = layout.functionDir('vk-pay-co');
  // what a user does to go live: the example becomes the config, the keys go into keys/ beside it
  const pluginDir = path.join(fnDir, 'node_modules', 'uni-config-center', 'vk-pay');
  for (const f of fs.readdirSync(pluginDir)) fs.rmSync(path.join(pluginDir, f), { recursive: true });
  fs.copyFileSync(EXAMPLE, path.join(pluginDir, 'config.js'));
  fs.mkdirSync(path.join(pluginDir, 'keys'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  for (const f of KEY_FILES.private) fs.writeFileSync(path.join(pluginDir, 'keys', f), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  for (const f of KEY_FILES.public) fs.writeFileSync(path.join(pluginDir, 'keys', f), publicKey.export({ type: 'spki', format: 'pem' }));
  // the App Store section: a root certificate shaped like Apple's and the in-app purchase key (EC P-256)
  fs.writeFileSync(path.join(pluginDir, 'keys', 'AppleRootCA-G3.pem'), generateApplePki().rootPem);
  fs.writeFileSync(path.join(pluginDir, 'keys', 'apple_iap_key.p8'), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
}, 60_000);

afterAll(() => layout?.remove());

const RUNTIMES: { label: string; version?: string }[] = [{ label: `this process's Node ${process.version}` }, ...UNICLOUD_NODE_VERSIONS.map((version) => ({ label: `Node ${version}`, version }))];

describe.each(RUNTIMES)('config.example.js as the uploaded config, on $label', ({ version }) => {
  it('loads through uni-config-center and passes the core\'s loadConfig, needing nothing outside the function', async () => {
    const node = version ? (await ensureNodeRuntime(version)).bin : process.execPath;
    // no VKPAY_HOME, no PATH: a production config reads nothing of the local host
    const out = await runUploaded({ node, harness: layout.harness, fnDir, mode: 'config', payload: {}, cwd: layout.workDir, env: { HOME: layout.workDir } });
    expect(out.node).toBe(version ? `v${version}` : process.version);
    expect(out.result.rawKeys).toEqual(expect.arrayContaining(['env', 'notifyUrl', 'providers', 'orderTypes', 'auth']));
    expect(out.result.config).toEqual({
      env: 'production',
      notifyUrl: 'https://fc-mp-xxxxxxxx.next.bspapp.com/http/vk-pay-notify',
      providers: ['alipay', 'appleiap', 'wxpay', 'wxpay-virtual'],
      auth: 'uni-id',
      adminRoles: ['admin'],
      orderTypes: ['coins', 'custom', 'episode', 'goods', 'recharge', 'vip'],
      webhooks: ['dingtalk'],
      privateKeyLoaded: true,
    });
    expect(out.result.outside).toEqual([]);
    expect(out.devDependencies).toEqual([]);
  }, 10 * 60_000);
});

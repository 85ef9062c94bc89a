/** The vk-pay config: validated once, each wrong field named, notify URLs a provider cannot reach refused outside the sandbox. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, resetConfigCache } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { notifyUrlProblem } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/notify-url';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();

function valid(over: Record<string, unknown> = {}) {
  return {
    env: 'production',
    notifyUrl: 'https://pay.example.com/http/vk-pay-notify',
    providers: {
      wxpay: { appId: 'wx1', mchId: '1900000001', apiV3Key: 'k'.repeat(32), merchant: { serialNo: 'S1', privateKeyPem: priv }, platform: { publicKeyId: 'PUB_KEY_ID_1', publicKeyPem: pub } },
      alipay: { appId: '2021', app: { privateKeyPem: priv }, alipay: { publicKeyPem: pub } },
    },
    orderTypes: { recharge: { amount: 'client', min: 1 } },
    ...over,
  };
}

describe('config', () => {
  it('accepts a valid production config and fills the defaults', () => {
    const c = parseConfig(valid());
    expect(c.maxAmount).toBe(1_000_000);
    expect(c.ttlMs).toBe(2 * 3600_000);
    expect(c.rateLimit.perMinute).toBe(10);
    expect(c.providers.wxpay?.baseUrl).toBe('https://api.mch.weixin.qq.com/');
    expect(c.hooks.maxAttempts).toBe(8);
  });

  it('names every wrong field; key problems are 40003', () => {
    const bad = valid();
    (bad.providers.wxpay as any).apiV3Key = 'short';
    (bad.providers.wxpay as any).mchId = '';
    try { parseConfig(bad); throw new Error('accepted'); } catch (e: any) {
      expect(e.code).toBe(40003);
      expect(e.message).toContain('providers.wxpay.apiV3Key');
      expect(e.message).toContain('providers.wxpay.mchId');
    }
    try { parseConfig(valid({ env: 'staging', maxAmount: -1 })); throw new Error('accepted'); } catch (e: any) {
      expect(e.code).toBe(40001);
      expect(e.message).toContain('env');
      expect(e.message).toContain('maxAmount');
    }
    expect(() => parseConfig(valid({ providers: {} }))).toThrow(/providers/);
    expect(() => parseConfig(valid({ orderTypes: { goods: { amount: 'catalog', catalog: {} } } }))).toThrow(/orderTypes.goods.catalog/);
    expect(() => parseConfig(valid({ userInfoKey: 'abc' }))).toThrow(/userInfoKey/);
  });

  it.each([
    'http://pay.example.com/notify', 'https://localhost/notify', 'https://127.0.0.1/n', 'https://10.1.2.3/n', 'https://172.16.0.1/n',
    'https://172.31.255.255/n', 'https://192.168.1.10/n', 'https://169.254.1.1/n', 'https://[::1]/n', 'https://[fd00::1]/n',
    'https://[fe80::1]/n', 'https://pay.example.com/notify?x=1',
  ])('refuses the notify URL %s outside the sandbox', (url) => {
    expect(notifyUrlProblem(url)).not.toBeNull();
    expect(() => parseConfig(valid({ notifyUrl: url }))).toThrow(/notifyUrl/);
    expect(() => parseConfig(valid({ notifyUrl: url, env: 'sandbox' }))).not.toThrow();
  });

  it.each(['https://pay.example.com/n', 'https://172.32.0.1/n', 'https://8.8.8.8/n', 'https://[2001:db8::1]/n'])('accepts %s', (url) => {
    expect(notifyUrlProblem(url)).toBeNull();
  });

  it('is loaded once through uni-config-center and cached', () => {
    let reads = 0;
    const requireFn = (id: string) => {
      expect(id).toBe('uni-config-center');
      return ({ pluginId }: { pluginId: string }) => ({ config: () => { reads++; expect(pluginId).toBe('vk-pay'); return valid(); } });
    };
    resetConfigCache();
    const a = loadConfig({ requireFn });
    const b = loadConfig({ requireFn });
    expect(a).toBe(b);
    expect(reads).toBe(1);
    resetConfigCache();
    expect(() => loadConfig({ requireFn: () => () => ({ config: () => ({}) }) })).toThrow(/config.example.js/);
    resetConfigCache();
  });

  it('the local config file reads the sandbox credentials from VKPAY_HOME', async () => {
    const { mkdtemp, mkdir, writeFile, rm } = await import('node:fs/promises');
    const path = await import('node:path');
    const os = await import('node:os');
    const { generateSandboxCredentials } = await import('../../../sandbox/credentials');
    const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-cfg-'));
    await mkdir(path.join(home, 'sandbox'), { recursive: true });
    await writeFile(path.join(home, 'sandbox', 'credentials.json'), JSON.stringify(await generateSandboxCredentials()));
    await writeFile(path.join(home, 'admin-token'), 'a'.repeat(40));
    const file = path.resolve(__dirname, '../../../uni_modules/uni-config-center/uniCloud/cloudfunctions/common/uni-config-center/vk-pay/config.js');
    const prev = { home: process.env.VKPAY_HOME, port: process.env.PORT };
    process.env.VKPAY_HOME = home; process.env.PORT = '9999';
    try {
      delete require.cache[file];
      const c = parseConfig(require(file));
      expect(c.env).toBe('sandbox');
      expect(c.notifyUrl).toBe('http://127.0.0.1:9999/http/vk-pay-notify');
      expect(c.providers.wxpay?.baseUrl).toBe('http://127.0.0.1:9999/sandbox/wxpay/');
      expect(c.providers.alipay?.gatewayUrl).toBe('http://127.0.0.1:9999/sandbox/alipay/gateway.do');
      expect((c.adminToken as () => string)()).toBe('a'.repeat(40));
    } finally {
      delete require.cache[file];
      if (prev.home === undefined) delete process.env.VKPAY_HOME; else process.env.VKPAY_HOME = prev.home;
      if (prev.port === undefined) delete process.env.PORT; else process.env.PORT = prev.port;
      await rm(home, { recursive: true, force: true });
    }
  });
});

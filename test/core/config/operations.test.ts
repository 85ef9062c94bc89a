/**
 * The operations sections of the config (`sync`, `alerts.thresholds`, `alerts.webhooks`) are schema fields like
 * every other: defaults filled at load, a wrong value or a misspelt key named, and the typed values are what the
 * timer and the alert monitor use (no second, defensive reading of the raw object).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';
import { resolveSyncSettings } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync/settings';
import { resolveThresholds } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/monitor/thresholds';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();

function valid(over: Record<string, unknown> = {}) {
  return {
    env: 'sandbox',
    notifyUrl: 'https://pay.example.com/http/vk-pay-notify',
    providers: { alipay: { appId: '2021', app: { privateKeyPem: priv }, alipay: { publicKeyPem: pub } } },
    orderTypes: { recharge: { amount: 'client', min: 1 } },
    ...over,
  };
}

function messageOf(fn: () => unknown): string {
  try { fn(); } catch (e) { return `${(e as { code?: number }).code} ${(e as Error).message}`; }
  throw new Error('accepted');
}

describe('config: sync and alerts sections', () => {
  it('fills every sync field and threshold with its default', () => {
    const c = parseConfig(valid());
    expect(c.sync).toEqual({
      budgetMs: 50_000, staleMs: 120_000, leaseMs: 120_000, concurrency: 4, ratePerSecond: 50, recheckMs: 55_000,
      closedWindowMs: 900_000, closedRecheckMs: 600_000, refundStaleMs: 60_000, errorBackoffMs: 60_000,
      maxErrorBackoffMs: 3_600_000, outageThreshold: 3, pageSize: 100, autoRefundPaidAfterClose: false,
    });
    expect(c.alerts.thresholds).toEqual({
      errorRate: 0.1, errorWindowMs: 300_000, successRate: 0.95, successWindowMs: 3_600_000, notifyLateMs: 30_000,
      refundSuccessRate: 0.9, refundWindowMs: 86_400_000, minSample: 10, windowMs: 600_000,
    });
    expect(c.alerts.webhooks).toEqual([]);
  });

  it('names each wrong sync value and each misspelt key at load (40001)', () => {
    const msg = messageOf(() => parseConfig(valid({ sync: { concurrency: 0, pageSize: 1000, budgetMs: -1, ratePerSecond: 'fast', autoRefundPaidAfterClose: 'yes', budgetMS: 1 } })));
    expect(msg.startsWith('40001 ')).toBe(true);
    for (const field of ['sync.concurrency', 'sync.pageSize', 'sync.budgetMs', 'sync.ratePerSecond', 'sync.autoRefundPaidAfterClose']) expect(msg).toContain(`${field}:`);
    expect(msg).toMatch(/budgetMS/);
  });

  it('names each wrong threshold (rates are shares between 0 and 1, windows positive)', () => {
    const msg = messageOf(() => parseConfig(valid({ alerts: { thresholds: { errorRate: 10, successRate: -0.1, windowMs: 0, minSample: 2.5, notifyLateMs: '30s' } } })));
    for (const field of ['errorRate', 'successRate', 'windowMs', 'minSample', 'notifyLateMs']) expect(msg).toContain(`alerts.thresholds.${field}:`);
  });

  it('keeps the webhook fields the robots need for markdown and mentions, and refuses unknown ones', () => {
    const c = parseConfig(valid({ alerts: { webhooks: [
      { kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', msgtype: 'markdown' },
      { kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=j', mentioned_list: ['@all'], mentioned_mobile_list: ['13800000000'] },
      { kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=a', msgtype: 'markdown', atMobiles: ['13900000000'] },
    ] } }));
    expect(c.alerts.webhooks[0]).toMatchObject({ kind: 'wecom', msgtype: 'markdown' });
    expect(c.alerts.webhooks[1]).toMatchObject({ msgtype: 'text', mentioned_list: ['@all'], mentioned_mobile_list: ['13800000000'] });
    expect(c.alerts.webhooks[2]).toMatchObject({ msgtype: 'markdown', atMobiles: ['13900000000'] });
    expect(messageOf(() => parseConfig(valid({ alerts: { webhooks: [{ kind: 'wecom', url: 'https://x.example.com/', msgtype: 'card' }] } })))).toContain('alerts.webhooks.0.msgtype');
  });

  it('the timer and the monitor use the typed values; code overrides are held to the same schema', () => {
    const c = parseConfig(valid({ sync: { concurrency: 7, pageSize: 250 }, alerts: { thresholds: { errorRate: 0.2 } } }));
    expect(resolveSyncSettings(c)).toMatchObject({ concurrency: 7, pageSize: 250, budgetMs: 50_000 });
    expect(resolveSyncSettings(c, { budgetMs: 10_000, concurrency: undefined })).toMatchObject({ concurrency: 7, budgetMs: 10_000 });
    expect(resolveThresholds(c)).toMatchObject({ errorRate: 0.2, successRate: 0.95 });
    expect(messageOf(() => resolveSyncSettings(c, { concurrency: 0 }))).toMatch(/^40001 .*sync\.concurrency:/);
    expect(messageOf(() => resolveThresholds(c, { refundSuccessRate: 1.5 }))).toMatch(/^40001 .*alerts\.thresholds\.refundSuccessRate:/);
  });
});

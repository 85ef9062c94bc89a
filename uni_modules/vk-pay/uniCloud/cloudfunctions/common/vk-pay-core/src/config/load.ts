/**
 * The vk-pay config, read ONCE through uni-config-center (`pluginId: 'vk-pay'`) and validated. A cloud function
 * instance keeps the parsed config for its lifetime: the file is read-only until the next upload anyway.
 */
import { KeyConfigError, ParamError } from '../../../../../../common/errors';
import { findDefinition } from '../providers/registry';
import { configSchema, type VkPayConfig } from './schema';
import { notifyUrlProblem } from './notify-url';
import type { ZodIssue } from 'zod';

/** Fields whose mistakes are key/certificate problems (40003) rather than plain parameter problems (40001). */
const KEY_FIELDS = /(Key|Pem|serialNo|publicKeyId)$/;

/** A key field: by the common pattern, or by the pattern of the provider whose section it is in. */
function isKeyIssue(issue: ZodIssue): boolean {
  const names = issue.path.filter((p): p is string => typeof p === 'string');
  if (names.some((n) => KEY_FIELDS.test(n))) return true;
  const own = issue.path[0] === 'providers' ? findDefinition(issue.path[1])?.keyFields : undefined;
  return Boolean(own && names.slice(2).some((n) => own.test(n)));
}

/** Validates a raw config object; throws KeyConfigError (40003) or ParamError (40001) naming every bad field. */
export function parseConfig(raw: unknown): VkPayConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues;
    const text = issues.map(describeIssue).join('; ');
    const isKey = issues.some(isKeyIssue);
    throw isKey ? new KeyConfigError(`vk-pay config: ${text}`) : new ParamError(`vk-pay config: ${text}`);
  }
  const config = result.data;
  if (config.env !== 'sandbox') {
    const problem = notifyUrlProblem(config.notifyUrl);
    if (problem) throw new ParamError(`vk-pay config: notifyUrl ${problem}`);
    for (const [channel, section] of Object.entries(config.providers)) {
      const def = findDefinition(channel);
      if (!def || !section) continue;
      const merchants = Object.values((section as { merchants?: Record<string, Record<string, unknown>> }).merchants ?? {});
      for (const url of [section, ...merchants].flatMap((m) => def.gatewayUrls(m))) {
        if (typeof url === 'string' && !url.startsWith('https://')) throw new ParamError(`vk-pay config: providers.${channel} gateway URL must use https outside the sandbox`);
      }
    }
  }
  return config;
}

function describeIssue(issue: ZodIssue): string {
  const path = issue.path.join('.') || '(root)';
  return `${path}: ${issue.message}`;
}

type ConfigCenter = (opts: { pluginId: string }) => { config(): unknown };

let cached: VkPayConfig | undefined;

/**
 * Loads `uni-config-center/vk-pay` lazily on first use and caches it for the instance's lifetime.
 * `requireFn` is injectable for tests; on uniCloud it is the function's own `require`.
 */
export function loadConfig(options: { requireFn?: (id: string) => unknown; reload?: boolean } = {}): VkPayConfig {
  if (cached && !options.reload) return cached;
  const req = options.requireFn ?? require;
  let createConfig: ConfigCenter;
  try {
    createConfig = req('uni-config-center') as ConfigCenter;
  } catch (err) {
    throw new KeyConfigError(`uni-config-center is not available: add it as a dependency of the cloud function (${(err as Error).message})`);
  }
  const raw = createConfig({ pluginId: 'vk-pay' }).config();
  if (!raw || typeof raw !== 'object' || Object.keys(raw).length === 0) {
    throw new KeyConfigError('vk-pay config is missing: create uni-config-center/vk-pay/config.js (see config.example.js)');
  }
  cached = parseConfig(raw);
  return cached;
}

/** Forget the cached config (tests). */
export function resetConfigCache(): void {
  cached = undefined;
}

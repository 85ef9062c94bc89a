/**
 * Which key mode each channel's merchant is in, and the certificates those modes need: WeChat Pay public-key
 * mode (`PUB_KEY_ID_...`, the default) or platform-certificate mode (wxpay/platform-certs.ts); Alipay public-key
 * mode (the default) or certificate mode (alipay/certs.ts). Set per sandbox (`createSandbox({ keyModes })`) and
 * switchable at run time by `POST /sandbox/control/key-mode`; `POST /sandbox/control/rotate-platform-cert` walks
 * WeChat's change of platform certificate, `POST /sandbox/control/rotate-alipay-cert` Alipay's change of its own. Certificates are made the first time a mode needs them, so a sandbox
 * that never leaves public-key mode makes no keys for them.
 */
import { ParamError } from '../uni_modules/vk-pay/common/errors';
import { AlipayCerts, attachAlipayCerts, type AlipayKeyMode, type AlipayRotationStep } from './alipay/certs';
import type { GatewayRequest } from './context';
import type { SandboxCredentials } from './credentials';
import { sendJson } from './http-io';
import { attachPlatformCerts, PlatformCerts, type RotationStep, type WxpayKeyMode } from './wxpay/platform-certs';

export type { AlipayKeyMode, AlipayRotationStep } from './alipay/certs';
export type { RotationStep, WxpayKeyMode } from './wxpay/platform-certs';

export interface KeyModes {
  wxpay?: WxpayKeyMode;
  alipay?: AlipayKeyMode;
}

/**
 * `VKPAY_KEY_MODES=wxpay=platform-cert,alipay=cert` (the local host and `npm run sandbox` start in those modes; the
 * local config.js reads the same variable). Unknown channels or modes are an error, not silently public-key.
 */
export function parseKeyModes(text: string | undefined): KeyModes {
  const out: KeyModes = {};
  for (const part of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [channel, mode] = part.split('=').map((p) => p.trim());
    if (channel === 'wxpay' && (mode === 'public-key' || mode === 'platform-cert')) out.wxpay = mode;
    else if (channel === 'alipay' && (mode === 'public-key' || mode === 'cert')) out.alipay = mode;
    else throw new ParamError(`VKPAY_KEY_MODES: ${part.slice(0, 40)} is not wxpay=public-key|platform-cert or alipay=public-key|cert`);
  }
  return out;
}

export const CERT_CONTROL_ACTIONS = new Set(['key-mode', 'rotate-platform-cert', 'rotate-alipay-cert']);

export class CertModes {
  private platform?: PlatformCerts;
  private alipayCerts?: AlipayCerts;

  private constructor(private readonly home: string, private readonly creds: SandboxCredentials, private readonly now: () => number) {}

  static async open(home: string, creds: SandboxCredentials, modes: KeyModes = {}, now: () => number = Date.now): Promise<CertModes> {
    const cm = new CertModes(home, creds, now);
    if (modes.wxpay) await cm.setMode('wxpay', modes.wxpay);
    if (modes.alipay) await cm.setMode('alipay', modes.alipay);
    return cm;
  }

  modes(): Required<KeyModes> {
    return { wxpay: this.platform?.mode ?? 'public-key', alipay: this.alipayCerts?.mode ?? 'public-key' };
  }

  /** The WeChat merchant's platform certificates (made on first use). */
  async wxpayPlatformCerts(): Promise<PlatformCerts> {
    if (!this.platform) {
      this.platform = await PlatformCerts.open(this.home, 'public-key', this.now);
      attachPlatformCerts(this.creds, this.platform);
    }
    return this.platform;
  }

  /** The Alipay app's certificates and Alipay's root bundle (made on first use). */
  async alipay(): Promise<AlipayCerts> {
    if (!this.alipayCerts) {
      this.alipayCerts = await AlipayCerts.open(this.home, this.creds.alipay, 'public-key', this.now());
      attachAlipayCerts(this.creds, this.alipayCerts);
    }
    return this.alipayCerts;
  }

  async setMode(channel: 'wxpay' | 'alipay', mode: string): Promise<void> {
    if (channel === 'wxpay') {
      if (mode !== 'public-key' && mode !== 'platform-cert') throw new ParamError('wxpay mode must be public-key or platform-cert');
      if (mode === 'public-key' && !this.platform) return;
      (await this.wxpayPlatformCerts()).mode = mode;
      return;
    }
    if (mode !== 'public-key' && mode !== 'cert') throw new ParamError('alipay mode must be public-key or cert');
    if (mode === 'public-key' && !this.alipayCerts) return;
    (await this.alipay()).mode = mode;
  }

  /** One step of WeChat's change of platform certificate (platform-certificate mode only). */
  async rotate(step: RotationStep): Promise<{ certificates: string[]; signing: string }> {
    if (this.platform?.mode !== 'platform-cert') throw new ParamError('the wxpay merchant is not in platform-cert mode (control/key-mode first)');
    return this.platform.rotate(step);
  }

  /** One step of Alipay's change of its certificate (certificate mode only). */
  async rotateAlipay(step: AlipayRotationStep): Promise<{ certificates: string[]; signing: string }> {
    if (this.alipayCerts?.mode !== 'cert') throw new ParamError('the alipay app is not in cert mode (control/key-mode first)');
    return this.alipayCerts.rotate(step, this.creds.alipay, this.now());
  }
}

const STEPS: readonly RotationStep[] = ['add', 'switch', 'retire', 'all'];
const ALIPAY_STEPS: readonly AlipayRotationStep[] = ['add', 'switch', 'all'];

/**
 * `POST /sandbox/control/key-mode {channel, mode}`, `POST /sandbox/control/rotate-platform-cert {channel: "wxpay", step?}`
 * and `POST /sandbox/control/rotate-alipay-cert {step?}`.
 */
export async function handleCertControl(cm: CertModes, r: GatewayRequest): Promise<void> {
  try {
    if (r.method !== 'POST') return sendJson(r.res, 405, { code: 'METHOD_NOT_ALLOWED', message: 'use POST' });
    let body: any = {};
    try { body = r.rawBody.trim() ? JSON.parse(r.rawBody) : {}; } catch { throw new ParamError('body is not JSON'); }
    const action = r.subPath.replace(/^\//, '');
    if (action === 'key-mode') {
      if (body.channel !== 'wxpay' && body.channel !== 'alipay') throw new ParamError('channel must be wxpay or alipay');
      await cm.setMode(body.channel, String(body.mode ?? ''));
      return sendJson(r.res, 200, { ok: true, ...cm.modes(), ...(await material(cm, body.channel)) });
    }
    if (action === 'rotate-alipay-cert') {
      const step = body.step ?? 'all';
      if (!ALIPAY_STEPS.includes(step)) throw new ParamError('step must be add, switch or all');
      return sendJson(r.res, 200, { ok: true, step, ...(await cm.rotateAlipay(step)) });
    }
    if (body.channel !== 'wxpay') throw new ParamError('channel must be wxpay (Alipay\'s certificate: control/rotate-alipay-cert)');
    const step = body.step ?? 'all';
    if (!STEPS.includes(step)) throw new ParamError('step must be add, switch, retire or all');
    return sendJson(r.res, 200, { ok: true, step, ...(await cm.rotate(step)) });
  } catch (err) {
    if (err instanceof ParamError) return sendJson(r.res, 400, { code: 'PARAM_ERROR', message: err.detail });
    throw err;
  }
}

/** What a merchant configures for the mode now in force (public material only). */
async function material(cm: CertModes, channel: 'wxpay' | 'alipay'): Promise<Record<string, unknown>> {
  const modes = cm.modes();
  if (channel === 'wxpay') {
    return modes.wxpay === 'platform-cert' ? { certificates: (await cm.wxpayPlatformCerts()).certificates().map((c) => c.serial) } : {};
  }
  if (modes.alipay !== 'cert') return {};
  const f = (await cm.alipay()).files;
  return { appCertPem: f.appCertPem, alipayCertPem: f.alipayCertPem, alipayRootCertPem: f.rootBundlePem, sn: f.sn };
}

/**
 * The config fields that put a provider section in the sandbox's mode: WeChat without the public key, downloading
 * platform certificates; Alipay with the three certificate files instead of Alipay's bare public key.
 */
export async function certModeSections(cm: CertModes): Promise<{ wxpay?: Record<string, unknown>; alipay?: Record<string, unknown> }> {
  const modes = cm.modes();
  const out: { wxpay?: Record<string, unknown>; alipay?: Record<string, unknown> } = {};
  if (modes.wxpay === 'platform-cert') out.wxpay = { platform: undefined, platformCertificates: true };
  if (modes.alipay === 'cert') {
    const f = (await cm.alipay()).files;
    out.alipay = { appCertPem: f.appCertPem, alipayCertPem: f.alipayCertPem, alipayRootCertPem: f.rootBundlePem };
  }
  return out;
}

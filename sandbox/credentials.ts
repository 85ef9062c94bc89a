/**
 * Sandbox credentials (docs/CONTRACTS.md section 12): generated once per VKPAY_HOME with fresh RSA-2048 keys and random
 * API keys, then reused, so the local config and the sandbox gateway always agree on every key. The file holds
 * private keys: it is written with mode 0600 and lives under the git-ignored home directory.
 */
import { generateKeyPair as generateKeyPairCb, randomBytes, randomInt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { KeyConfigError } from '../uni_modules/vk-pay/common/errors';

const generateKeyPair = promisify(generateKeyPairCb);

export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * A further WeChat Pay v3 merchant the sandbox serves beside `wxpay` (docs/CONTRACTS.md section 12): its own mchId,
 * appid, keys and APIv3 key. One with `subMerchants` is a service provider: it may call the partner paths for
 * those sub-merchants (each with an app of its own bound to it), and for no one else.
 */
export interface SandboxWxMerchant {
  mchId: string;
  appId: string;
  appSecret: string;
  apiV3Key: string;
  merchant: { serialNo: string } & KeyPairPem;
  platform: { publicKeyId: string } & KeyPairPem;
  subMerchants?: Array<{ mchId: string; appId: string; appSecret: string }>;
}

/**
 * An Alipay app authorisation (third-party app mode): `alipay.appId` acting for the merchant who authorised it
 * holds `appAuthToken`; calls carrying it act on that merchant's app (`authAppId`) and account (`sellerId`).
 */
export interface SandboxAlipayAuthorization { appAuthToken: string; authAppId: string; sellerId: string }

export interface SandboxCredentials {
  wxpay: {
    appId: string;
    mchId: string;
    /** 32 ASCII characters: the AEAD_AES_256_GCM key of v3 notifications */
    apiV3Key: string;
    /** 32 ASCII characters: the MD5 / HMAC-SHA256 key of API v2 */
    apiV2Key: string;
    merchant: { serialNo: string } & KeyPairPem;
    platform: { publicKeyId: string } & KeyPairPem;
    /** the AppSecret of appId (login codes of an app that pays with the main appid) */
    appSecret: string;
    /** a mini program and an official account of their own under the same mchId (appIds per pay_type) */
    apps: Record<'mp' | 'jsapi', { appId: string; appSecret: string }>;
  };
  alipay: {
    appId: string;
    sellerId: string;
    app: KeyPairPem;
    alipay: KeyPairPem;
  };
  /**
   * WeChat virtual payment of the sandbox's mini program (wxpay.apps.mp): the console's offer id, one AppKey per
   * environment, the message push Token and EncodingAESKey, and the console's coin price in fen.
   */
  wxpayVirtual: { offerId: string; appKey: string; sandboxAppKey: string; token: string; encodingAESKey: string; coinPrice: number };
  /** [0] a second direct merchant, [1] a service provider with two sub-merchants */
  wxpayMerchants: SandboxWxMerchant[];
  /** the merchants that authorised `alipay.appId` as their third-party app */
  alipayAuthorizations: SandboxAlipayAuthorization[];
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

export function randomDigits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}

async function rsaPair(): Promise<KeyPairPem> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

const wxAppId = () => `wx${randomBytes(8).toString('hex')}`;
/** An AppSecret is 32 lower-case hex digits. */
const wxAppSecret = () => randomBytes(16).toString('hex');

export function generateVirtualPayment(): SandboxCredentials['wxpayVirtual'] {
  return { offerId: `1450${randomDigits(6)}`, appKey: randomAlnum(32), sandboxAppKey: randomAlnum(32), token: randomAlnum(16), encodingAESKey: randomAlnum(43), coinPrice: 10 };
}

/** Virtual payment keys for a credentials file written before they existed: added once, the other keys kept. */
function withVirtualPayment(creds: SandboxCredentials): { creds: SandboxCredentials; added: boolean } {
  const v = (creds as Partial<SandboxCredentials>).wxpayVirtual;
  if (v && typeof v.appKey === 'string' && typeof v.sandboxAppKey === 'string' && typeof v.encodingAESKey === 'string' && v.encodingAESKey.length === 43) return { creds, added: false };
  return { creds: { ...creds, wxpayVirtual: generateVirtualPayment() }, added: true };
}

/** Login apps for a credentials file written before they existed: added once, the keys kept. */
function withLoginApps(creds: SandboxCredentials): { creds: SandboxCredentials; added: boolean } {
  const w = creds.wxpay as Partial<SandboxCredentials['wxpay']> & SandboxCredentials['wxpay'];
  const okApp = (a: any) => !!a && typeof a.appId === 'string' && typeof a.appSecret === 'string';
  if (typeof w.appSecret === 'string' && okApp(w.apps?.mp) && okApp(w.apps?.jsapi)) return { creds, added: false };
  return {
    added: true,
    creds: { ...creds, wxpay: { ...w, appSecret: typeof w.appSecret === 'string' ? w.appSecret : wxAppSecret(), apps: {
      mp: okApp(w.apps?.mp) ? w.apps.mp : { appId: wxAppId(), appSecret: wxAppSecret() },
      jsapi: okApp(w.apps?.jsapi) ? w.apps.jsapi : { appId: wxAppId(), appSecret: wxAppSecret() },
    } } },
  };
}

const newMchId = () => `1900${randomDigits(6)}`;
const subMerchant = () => ({ mchId: newMchId(), appId: wxAppId(), appSecret: wxAppSecret() });

async function wxMerchant(subs: number): Promise<SandboxWxMerchant> {
  const [merchant, platform] = await Promise.all([rsaPair(), rsaPair()]);
  const mchId = newMchId();
  return {
    mchId, appId: wxAppId(), appSecret: wxAppSecret(), apiV3Key: randomAlnum(32),
    merchant: { serialNo: randomBytes(20).toString('hex').toUpperCase(), ...merchant },
    platform: { publicKeyId: `PUB_KEY_ID_01${mchId}${randomDigits(18)}`, ...platform },
    ...(subs > 0 ? { subMerchants: Array.from({ length: subs }, subMerchant) } : {}),
  };
}

export async function generateMerchants(): Promise<Pick<SandboxCredentials, 'wxpayMerchants' | 'alipayAuthorizations'>> {
  const alipayAuth = () => ({ appAuthToken: `202512BB${randomBytes(16).toString('hex')}`, authAppId: `2021${randomDigits(12)}`, sellerId: `2088${randomDigits(12)}` });
  return { wxpayMerchants: await Promise.all([wxMerchant(0), wxMerchant(2)]), alipayAuthorizations: [alipayAuth(), alipayAuth()] };
}

function hasMerchants(c: Partial<SandboxCredentials>): boolean {
  const w = c.wxpayMerchants;
  return Array.isArray(w) && w.length >= 2 && w.every((m) => !!m && typeof m.mchId === 'string' && isPair(m.merchant) && isPair(m.platform) && typeof m.apiV3Key === 'string')
    && !!w[1].subMerchants?.length && Array.isArray(c.alipayAuthorizations) && c.alipayAuthorizations.length >= 1;
}

export async function generateSandboxCredentials(): Promise<SandboxCredentials> {
  const [merchant, platform, app, alipay] = await Promise.all([rsaPair(), rsaPair(), rsaPair(), rsaPair()]);
  const mchId = `1900${randomDigits(6)}`;
  return {
    wxpay: {
      appId: wxAppId(),
      mchId,
      apiV3Key: randomAlnum(32),
      apiV2Key: randomAlnum(32),
      // A merchant certificate serial is 40 upper-case hex digits.
      merchant: { serialNo: randomBytes(20).toString('hex').toUpperCase(), ...merchant },
      platform: { publicKeyId: `PUB_KEY_ID_01${mchId}${randomDigits(18)}`, ...platform },
      appSecret: wxAppSecret(),
      apps: { mp: { appId: wxAppId(), appSecret: wxAppSecret() }, jsapi: { appId: wxAppId(), appSecret: wxAppSecret() } },
    },
    alipay: {
      appId: `2021${randomDigits(12)}`,
      sellerId: `2088${randomDigits(12)}`,
      app,
      alipay,
    },
    wxpayVirtual: generateVirtualPayment(),
    ...(await generateMerchants()),
  };
}

function isPair(v: any): v is KeyPairPem {
  return !!v && typeof v.privateKeyPem === 'string' && v.privateKeyPem.includes('PRIVATE KEY')
    && typeof v.publicKeyPem === 'string' && v.publicKeyPem.includes('PUBLIC KEY');
}

/** Shape check of a stored file: a damaged file is regenerated rather than half-used. */
function isCredentials(v: any): v is SandboxCredentials {
  const w = v?.wxpay;
  const a = v?.alipay;
  return !!w && typeof w.appId === 'string' && typeof w.mchId === 'string'
    && typeof w.apiV3Key === 'string' && w.apiV3Key.length === 32
    && typeof w.apiV2Key === 'string' && w.apiV2Key.length === 32
    && isPair(w.merchant) && typeof w.merchant.serialNo === 'string'
    && isPair(w.platform) && typeof w.platform.publicKeyId === 'string' && w.platform.publicKeyId.startsWith('PUB_KEY_ID_')
    && !!a && typeof a.appId === 'string' && typeof a.sellerId === 'string' && isPair(a.app) && isPair(a.alipay);
}

/** Rewrites the file through a private temp file and a rename, so no reader sees it half-written. */
async function replaceFile(file: string, creds: SandboxCredentials): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomAlnum(6)}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
}

export function credentialsPath(home: string): string {
  return path.join(home, 'sandbox', 'credentials.json');
}

/** Concurrent first calls in one process share one generation (two writers would leave mismatched keys). */
const inFlight = new Map<string, Promise<SandboxCredentials>>();

export function ensureSandboxCredentials(home: string): Promise<SandboxCredentials> {
  const file = path.resolve(credentialsPath(home));
  let p = inFlight.get(file);
  if (!p) {
    p = loadOrCreate(file).finally(() => inFlight.delete(file));
    inFlight.set(file, p);
  }
  return p;
}

async function loadOrCreate(file: string): Promise<SandboxCredentials> {
  let damaged = false;
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8'));
    if (isCredentials(parsed)) {
      const withApps = withLoginApps(parsed);
      const upgraded = withVirtualPayment(withApps.creds);
      // merchants for a file written before the sandbox served several: added once, the other keys kept
      const more = hasMerchants(upgraded.creds) ? undefined : await generateMerchants();
      const final = more ? { ...upgraded.creds, ...more } : upgraded.creds;
      if (withApps.added || upgraded.added || more) await replaceFile(file, final);
      return final;
    }
    damaged = true;
  } catch (err) {
    if (err instanceof SyntaxError) damaged = true;
    else if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const creds = await generateSandboxCredentials();
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Write a private temp file first, so no reader ever sees a half-written key file.
  const tmp = `${file}.${process.pid}.${randomAlnum(6)}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  try {
    if (damaged) {
      await fs.rename(tmp, file);
      return creds;
    }
    // link() fails if another process created the file meanwhile: then its keys win and ours are dropped,
    // so two processes starting together never end up holding different keys.
    await fs.link(tmp, file);
    return creds;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = JSON.parse(await fs.readFile(file, 'utf8'));
    if (!isCredentials(theirs)) throw new KeyConfigError(`sandbox credentials at ${file} are damaged`);
    return theirs;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

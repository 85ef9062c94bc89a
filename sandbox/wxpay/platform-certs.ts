/**
 * WeChat Pay platform-certificate mode (docs/PROTOCOLS.md section 2.1): the merchant's answers and notifications
 * are signed with a platform certificate's private key and carry its hex serial in Wechatpay-Serial; the
 * merchant downloads the certificates from `GET /v3/certificates`, each encrypted with its APIv3 key
 * (AEAD_AES_256_GCM, associated_data "certificate"). The certificates are real X.509 (RSA-2048, signed
 * SHA256withRSA by a Tenpay-like root made here), kept in `${home}/sandbox/wxpay-platform-certs.json` (0600).
 *
 * Rotation follows WeChat's published steps: a new certificate joins the list (the old one's expire_time is
 * moved to 24 h ahead), WeChat then signs with the new one, and once the change is done the list holds only the
 * newest. `rotate('all')` does the three at once, as a merchant that never looked at the list would see it.
 */
import { generateKeyPair as generateKeyPairCb, createPrivateKey, createPublicKey, randomBytes, randomInt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildCertificate, derToPem, type DistinguishedName } from '../appleiap/pki';
import { randomAlnum, type SandboxCredentials } from '../credentials';
import { rfc3339China } from '../http-io';
import { aeadEncrypt } from '../protocol/crypto';
import type { V3Failure } from './v3-auth';

const generateKeyPair = promisify(generateKeyPairCb);
const DAY = 24 * 3600_000;
const YEAR = 365 * DAY;

export type WxpayKeyMode = 'public-key' | 'platform-cert';
export type RotationStep = 'add' | 'switch' | 'retire' | 'all';

export interface PlatformCert {
  /** 40 upper-case hex digits, as X509Certificate.serialNumber prints it */
  serial: string;
  certPem: string;
  privateKeyPem: string;
  effective_at: number;
  expire_at: number;
}

export interface PlatformCertsFile {
  ca: { certPem: string; privateKeyPem: string };
  /** oldest first */
  certs: PlatformCert[];
  /** the serial WeChat signs with now */
  signing: string;
}

// WeChat's platform certificates are issued by "Tenpay.com Root CA" to "Tenpay.com sign" (names as the real ones)
const CA_NAME: DistinguishedName = [['C', 'CN'], ['O', 'Tenpay.com'], ['OU', 'Tenpay.com CA Center'], ['CN', 'Tenpay.com Root CA']];
const LEAF_NAME: DistinguishedName = [['C', 'CN'], ['ST', 'Guangdong'], ['L', 'ShenZhen'], ['O', 'Tencent'], ['OU', 'Tenpay.com CA Center'], ['CN', 'Tenpay.com sign']];

async function rsa(): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', {
    modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** 20 serial bytes whose first is 0x10-0x7f: positive, and printed with exactly 40 hex digits. */
function serialBytes(): Buffer {
  const b = randomBytes(20);
  b[0] = 0x10 + randomInt(0x70);
  return b;
}

async function issue(ca: PlatformCertsFile['ca'], now: number): Promise<PlatformCert> {
  const key = await rsa();
  const serial = serialBytes();
  const notAfter = now + 5 * YEAR;
  const der = buildCertificate({
    subject: '', issuer: '', subjectName: LEAF_NAME, issuerName: CA_NAME, serial, signature: 'rsa-sha256',
    publicKey: createPublicKey(key.publicKeyPem), signingKey: createPrivateKey(ca.privateKeyPem),
    notBefore: now - 60_000, notAfter, ca: false,
  });
  return { serial: serial.toString('hex').toUpperCase(), certPem: derToPem(der), privateKeyPem: key.privateKeyPem, effective_at: now, expire_at: notAfter };
}

export async function generatePlatformCerts(now: number): Promise<PlatformCertsFile> {
  const caKey = await rsa();
  const caDer = buildCertificate({
    subject: '', issuer: '', subjectName: CA_NAME, issuerName: CA_NAME, serial: serialBytes(), signature: 'rsa-sha256',
    publicKey: createPublicKey(caKey.publicKeyPem), signingKey: createPrivateKey(caKey.privateKeyPem),
    notBefore: now - YEAR, notAfter: now + 20 * YEAR, ca: true,
  });
  const ca = { certPem: derToPem(caDer), privateKeyPem: caKey.privateKeyPem };
  const first = await issue(ca, now);
  return { ca, certs: [first], signing: first.serial };
}

function isFile(v: any): v is PlatformCertsFile {
  const cert = (c: any) => !!c && typeof c.serial === 'string' && typeof c.certPem === 'string' && typeof c.privateKeyPem === 'string';
  return !!v && !!v.ca && typeof v.ca.privateKeyPem === 'string' && Array.isArray(v.certs) && v.certs.length > 0 && v.certs.every(cert)
    && v.certs.some((c: PlatformCert) => c.serial === v.signing);
}

export class PlatformCerts {
  private constructor(private data: PlatformCertsFile, private readonly file: string | undefined, public mode: WxpayKeyMode, private readonly now: () => number) {}

  /** Loads `${home}/sandbox/wxpay-platform-certs.json`, or makes it (a damaged file is replaced). */
  static async open(home: string, mode: WxpayKeyMode, now: () => number, persist = true): Promise<PlatformCerts> {
    const file = path.join(home, 'sandbox', 'wxpay-platform-certs.json');
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8'));
      if (isFile(parsed)) return new PlatformCerts(parsed, persist ? file : undefined, mode, now);
    } catch (err) {
      if (!(err instanceof SyntaxError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const pc = new PlatformCerts(await generatePlatformCerts(now()), persist ? file : undefined, mode, now);
    await pc.save();
    return pc;
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomAlnum(6)}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(this.data, null, 2) + '\n', { mode: 0o600 });
    await fs.rename(tmp, this.file);
  }

  /** what the merchant can download now, oldest first (copies) */
  certificates(): PlatformCert[] {
    return this.data.certs.map((c) => ({ ...c }));
  }

  /** the root that issued them (a merchant may check the chain against it) */
  get caPem(): string {
    return this.data.ca.certPem;
  }

  signingCert(): PlatformCert {
    return this.data.certs.find((c) => c.serial === this.data.signing)!;
  }

  bySerial(serial: string): PlatformCert | undefined {
    return this.data.certs.find((c) => c.serial.toUpperCase() === serial.toUpperCase());
  }

  /** One step of a change of certificate; answers what the list and the signer are afterwards. */
  async rotate(step: RotationStep): Promise<{ certificates: string[]; signing: string }> {
    const now = this.now();
    if (step === 'add' || step === 'all') {
      const fresh = await issue(this.data.ca, now);
      // WeChat moves the old certificates' expire_time to 24 h ahead when it lists the new one
      for (const c of this.data.certs) c.expire_at = Math.min(c.expire_at, now + DAY);
      this.data.certs.push(fresh);
    }
    if (step === 'switch' || step === 'all') this.data.signing = this.data.certs[this.data.certs.length - 1].serial;
    if (step === 'retire' || step === 'all') this.data.certs = this.data.certs.filter((c) => c.serial === this.data.signing);
    await this.save();
    return { certificates: this.data.certs.map((c) => c.serial), signing: this.data.signing };
  }

  /** how many times the list was downloaded (a merchant's refresh policy shows here) */
  downloads = 0;

  /** The `GET /v3/certificates` answer body, each certificate encrypted afresh with the merchant's APIv3 key. */
  listing(apiV3Key: string): { data: unknown[] } {
    this.downloads += 1;
    return {
      data: this.data.certs.map((c) => {
        const nonce = randomAlnum(12);
        return {
          serial_no: c.serial, effective_time: rfc3339China(c.effective_at), expire_time: rfc3339China(c.expire_at),
          encrypt_certificate: { algorithm: 'AEAD_AES_256_GCM', nonce, associated_data: 'certificate', ciphertext: aeadEncrypt(apiV3Key, nonce, 'certificate', c.certPem) },
        };
      }),
    };
  }
}

/**
 * The signing helpers of the v3 gateway take only the credentials, so the platform certificates of a sandbox
 * travel with its credentials object rather than through every call.
 */
const byCreds = new WeakMap<SandboxCredentials, PlatformCerts>();

export function attachPlatformCerts(creds: SandboxCredentials, pc: PlatformCerts): void {
  byCreds.set(creds, pc);
}

export function platformCertsOf(creds: SandboxCredentials): PlatformCerts | undefined {
  return byCreds.get(creds);
}

/** Who signs v3 answers and notifications now: the platform certificate in that mode, else the public key. */
export function v3Signer(creds: SandboxCredentials): { serial: string; privateKeyPem: string } {
  const pc = byCreds.get(creds);
  if (pc?.mode === 'platform-cert') {
    const c = pc.signingCert();
    return { serial: c.serial, privateKeyPem: c.privateKeyPem };
  }
  return { serial: creds.wxpay.platform.publicKeyId, privateKeyPem: creds.wxpay.platform.privateKeyPem };
}

/** The private key behind the platform key a merchant names in Wechatpay-Serial to encrypt a field (undefined: none). */
export function encryptionKeyFor(creds: SandboxCredentials, serial: string): string | undefined {
  const pc = byCreds.get(creds);
  if (pc?.mode === 'platform-cert') return pc.bySerial(serial)?.privateKeyPem;
  return serial === creds.wxpay.platform.publicKeyId ? creds.wxpay.platform.privateKeyPem : undefined;
}

/** A merchant in public-key mode has no platform certificates: WeChat answers 404 RESOURCE_NOT_EXISTS. */
const NO_CERTIFICATES: V3Failure = {
  status: 404, code: 'RESOURCE_NOT_EXISTS',
  message: '无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。可查看指引https://pay.weixin.qq.com/docs/merchant/products/platform-certificate/wxp-pub-key-guide.html',
};

/** `GET /v3/certificates` (the request's signature is already verified by the caller, as for every v3 call). */
export function handlePlatformCertificates(creds: SandboxCredentials, send: (status: number, value: unknown) => void, fail: (f: V3Failure) => void): void {
  const pc = byCreds.get(creds);
  if (!pc || pc.mode !== 'platform-cert') return fail(NO_CERTIFICATES);
  send(200, pc.listing(creds.wxpay.apiV3Key));
}

/**
 * Alipay public-key-certificate mode (docs/PROTOCOLS.md section 4): the Alipay root bundle
 * (alipayRootCert.crt: two RSA-signed roots and one ECDSA-signed root, as the real bundle mixes algorithms), an
 * intermediate that issues the app's certificate (appCertPublicKey_<appId>.crt, over the app's public key) and
 * Alipay's (alipayCertPublicKey_RSA2.crt, over the key Alipay signs with). Real X.509, made at first start and
 * kept in `${home}/sandbox/alipay-certs.json` (0600).
 *
 * The SNs the gateway expects are computed here from what was put INTO the certificates (the issuer's names and
 * the serial chosen), not by parsing them back as the client does: md5 of the issuer DN written with its RDNs
 * last-to-first as `type=value` joined by ',', followed by the serial in decimal; the root SN joins the SNs of
 * the RSA-signed roots with '_'. A client that parses its certificates differently gets the gateway's refusal.
 *
 * Alipay's change of certificate (`rotate`): the intermediate issues Alipay a new certificate over a new key
 * (`add`: downloadable by its SN through alipay.open.app.alipaycert.download), then Alipay signs answers and
 * notifications with that key and names its SN (`switch`); `all` does both, as a merchant that never looked sees it.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildCertificate, derToPem, type DistinguishedName } from '../appleiap/pki';
import { randomAlnum, type SandboxCredentials } from '../credentials';

const YEAR = 365 * 24 * 3600_000;

export type AlipayKeyMode = 'public-key' | 'cert';

export interface AlipayCertsFile {
  /** alipayRootCert.crt */
  rootBundlePem: string;
  /** appCertPublicKey_<appId>.crt */
  appCertPem: string;
  /** alipayCertPublicKey_RSA2.crt */
  alipayCertPem: string;
  /** what the gateway expects and answers */
  sn: { app_cert_sn: string; alipay_root_cert_sn: string; alipay_cert_sn: string };
  /** the public keys the certificates were made for (a changed credentials file makes new certificates) */
  appPublicKeyPem: string;
  alipayPublicKeyPem: string;
  /** the intermediate that issues Alipay's certificates (its key issues the new ones of a change) */
  issuer: { certPem: string; privateKeyPem: string };
  /** Alipay's certificates issued since, oldest first, each with the key Alipay signs with under it */
  rotated: AlipayCert[];
  /** the SN Alipay signs under now (absent: the first certificate's) */
  signing?: string;
}

export interface AlipayCert {
  sn: string;
  /** alipayCertPublicKey_RSA2.crt as downloaded: Alipay's certificate, then the intermediate */
  certPem: string;
  privateKeyPem: string;
}

export type AlipayRotationStep = 'add' | 'switch' | 'all';

const ORG: DistinguishedName = [['C', 'CN'], ['O', 'Ant Financial'], ['OU', 'Certification Authority']];
const ROOT_LEGACY: DistinguishedName = [...ORG, ['CN', 'Ant Financial Certification Authority']];
const ROOT_R1: DistinguishedName = [...ORG, ['CN', 'Ant Financial Certification Authority R1']];
const ROOT_E1: DistinguishedName = [...ORG, ['CN', 'Ant Financial Certification Authority E1']];
const CLASS1: DistinguishedName = [...ORG, ['CN', 'Ant Financial Certification Authority Class 1 R1']];

const ALIPAY_LEAF_NAME: DistinguishedName = [['C', 'CN'], ['O', 'vk-pay sandbox'], ['OU', 'Alipay.com'], ['CN', '支付宝(中国)网络技术有限公司']];

/** A certificate the intermediate issues: the app's or Alipay's, over `publicKey`. */
function issueLeaf(name: DistinguishedName, publicKey: KeyObject, signingKey: KeyObject, serial: Buffer, now: number): string {
  return derToPem(buildCertificate({
    subject: '', issuer: '', subjectName: name, issuerName: CLASS1, serial, signature: 'rsa-sha256',
    publicKey, signingKey, notBefore: now - 60_000, notAfter: now + 5 * YEAR, ca: false,
  }));
}

/** md5(issuer DN, last RDN first, + decimal serial), 32 hex digits. */
export function snOf(issuer: DistinguishedName, serial: Buffer): string {
  const dn = [...issuer].reverse().map(([t, v]) => `${t}=${v}`).join(',');
  return createHash('md5').update(dn + BigInt(`0x${serial.toString('hex')}`).toString(10), 'utf8').digest('hex');
}

function serialBytes(n: number): Buffer {
  const b = randomBytes(n);
  b[0] = 0x10 + randomInt(0x70);
  return b;
}

export function generateAlipayCerts(creds: SandboxCredentials['alipay'], now: number): AlipayCertsFile {
  const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  const legacy = rsa();
  const r1 = rsa();
  const e1 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const class1 = rsa();
  const long = { notBefore: now - 5 * YEAR, notAfter: now + 20 * YEAR, ca: true };
  const root = (name: DistinguishedName, key: { publicKey: any; privateKey: any }, sig: 'rsa-sha256' | 'ecdsa-sha256', serial: Buffer) =>
    derToPem(buildCertificate({ subject: '', issuer: '', subjectName: name, issuerName: name, serial, signature: sig, publicKey: key.publicKey, signingKey: key.privateKey, ...long }));
  const legacySerial = serialBytes(8);
  const r1Serial = serialBytes(16);
  const bundle = [
    root(ROOT_LEGACY, legacy, 'rsa-sha256', legacySerial),
    root(ROOT_R1, r1, 'rsa-sha256', r1Serial),
    root(ROOT_E1, e1, 'ecdsa-sha256', serialBytes(16)),
  ];
  const class1Pem = derToPem(buildCertificate({
    subject: '', issuer: '', subjectName: CLASS1, issuerName: ROOT_R1, serial: serialBytes(16), signature: 'rsa-sha256',
    publicKey: class1.publicKey, signingKey: r1.privateKey, notBefore: now - 2 * YEAR, notAfter: now + 10 * YEAR, ca: true,
  }));
  const appSerial = serialBytes(16);
  const alipaySerial = serialBytes(16);
  return {
    rootBundlePem: bundle.join(''),
    appCertPem: issueLeaf([['C', 'CN'], ['O', 'vk-pay sandbox'], ['OU', 'Alipay.com'], ['CN', creds.appId]], createPublicKey(creds.app.publicKeyPem), class1.privateKey, appSerial, now),
    // Alipay's file carries its certificate and the intermediate that issued it
    alipayCertPem: issueLeaf(ALIPAY_LEAF_NAME, createPublicKey(creds.alipay.publicKeyPem), class1.privateKey, alipaySerial, now) + class1Pem,
    sn: {
      app_cert_sn: snOf(CLASS1, appSerial),
      alipay_cert_sn: snOf(CLASS1, alipaySerial),
      // the ECDSA root is left out, as Alipay's SDKs leave it out
      alipay_root_cert_sn: `${snOf(ROOT_LEGACY, legacySerial)}_${snOf(ROOT_R1, r1Serial)}`,
    },
    appPublicKeyPem: creds.app.publicKeyPem,
    alipayPublicKeyPem: creds.alipay.publicKeyPem,
    issuer: { certPem: class1Pem, privateKeyPem: class1.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
    rotated: [],
  };
}

function isFile(v: any, creds: SandboxCredentials['alipay']): v is AlipayCertsFile {
  return !!v && typeof v.rootBundlePem === 'string' && typeof v.appCertPem === 'string' && typeof v.alipayCertPem === 'string'
    && !!v.sn && typeof v.sn.app_cert_sn === 'string' && typeof v.sn.alipay_root_cert_sn === 'string' && typeof v.sn.alipay_cert_sn === 'string'
    && v.appPublicKeyPem === creds.app.publicKeyPem && v.alipayPublicKeyPem === creds.alipay.publicKeyPem
    // files made before Alipay's certificate could change lack the intermediate's key: made again
    && !!v.issuer && typeof v.issuer.privateKeyPem === 'string' && Array.isArray(v.rotated);
}

const generateKeyPair = promisify(generateKeyPairCb);

export class AlipayCerts {
  private constructor(readonly files: AlipayCertsFile, public mode: AlipayKeyMode, private readonly file: string) {}

  /** how many times alipay.open.app.alipaycert.download was asked (a client's download policy shows here) */
  downloads = 0;

  /** Loads `${home}/sandbox/alipay-certs.json`, or makes it (damaged, or made for other keys: made again). */
  static async open(home: string, creds: SandboxCredentials['alipay'], mode: AlipayKeyMode, now: number): Promise<AlipayCerts> {
    const file = path.join(home, 'sandbox', 'alipay-certs.json');
    try {
      const parsed = JSON.parse(await fs.readFile(file, 'utf8'));
      if (isFile(parsed, creds)) return new AlipayCerts(parsed, mode, file);
    } catch (err) {
      if (!(err instanceof SyntaxError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const certs = new AlipayCerts(generateAlipayCerts(creds, now), mode, file);
    await certs.save();
    return certs;
  }

  private async save(): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomAlnum(6)}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(this.files, null, 2) + '\n', { mode: 0o600 });
    await fs.rename(tmp, this.file);
  }

  /** Every certificate Alipay has had, oldest first (the first one's key is the credentials' Alipay key). */
  certificates(creds: SandboxCredentials['alipay']): AlipayCert[] {
    return [{ sn: this.files.sn.alipay_cert_sn, certPem: this.files.alipayCertPem, privateKeyPem: creds.alipay.privateKeyPem }, ...this.files.rotated];
  }

  signingSn(): string {
    return this.files.signing ?? this.files.sn.alipay_cert_sn;
  }

  /** One step of Alipay's change of certificate; answers the certificates and the one signing afterwards. */
  async rotate(step: AlipayRotationStep, creds: SandboxCredentials['alipay'], now: number): Promise<{ certificates: string[]; signing: string }> {
    if (step === 'add' || step === 'all') {
      const { publicKey, privateKey } = await generateKeyPair('rsa', { modulusLength: 2048 });
      const serial = serialBytes(16);
      const leafPem = issueLeaf(ALIPAY_LEAF_NAME, publicKey, createPrivateKey(this.files.issuer.privateKeyPem), serial, now);
      this.files.rotated.push({ sn: snOf(CLASS1, serial), certPem: leafPem + this.files.issuer.certPem, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
    }
    if (step === 'switch' || step === 'all') {
      const newest = this.files.rotated[this.files.rotated.length - 1];
      if (newest) this.files.signing = newest.sn;
    }
    await this.save();
    return { certificates: this.certificates(creds).map((c) => c.sn), signing: this.signingSn() };
  }
}

type Reply = Record<string, unknown>;
const missing = (what: string, zh: string): Reply => ({ code: '40001', msg: 'Missing Required Arguments', sub_code: `isv.missing-${what}`, sub_msg: zh });
const invalidArg = (subCode: string, zh: string): Reply => ({ code: '40002', msg: 'Invalid Arguments', sub_code: subCode, sub_msg: zh });

const byCreds = new WeakMap<SandboxCredentials, AlipayCerts>();

export function attachAlipayCerts(creds: SandboxCredentials, certs: AlipayCerts): void {
  byCreds.set(creds, certs);
}

export function alipayCertsOf(creds: SandboxCredentials): AlipayCerts | undefined {
  return byCreds.get(creds);
}

/**
 * Who signs answers, notifications and return parameters now: in certificate mode the key of the certificate
 * Alipay signs under, whose SN goes beside `sign`; in public-key mode the credentials' Alipay key.
 */
export function alipaySigner(creds: SandboxCredentials): { privateKeyPem: string; certSn?: string } {
  const c = byCreds.get(creds);
  if (c?.mode !== 'cert') return { privateKeyPem: creds.alipay.alipay.privateKeyPem };
  const sn = c.signingSn();
  return { privateKeyPem: c.certificates(creds.alipay).find((x) => x.sn === sn)!.privateKeyPem, certSn: sn };
}

/**
 * alipay.open.app.alipaycert.download {alipay_cert_sn} (the request's signature and certificate SNs are checked
 * by the gateway first, as for every method): the certificate's file, base64, as `alipay_cert_content`. Only a
 * certificate-mode app has Alipay certificates; the refusals' wording is the sandbox's own.
 */
export function certDownload(creds: SandboxCredentials, biz: Record<string, any>): Reply {
  const c = byCreds.get(creds);
  if (c) c.downloads += 1;
  if (typeof biz.alipay_cert_sn !== 'string' || biz.alipay_cert_sn === '') return missing('alipay-cert-sn', '缺少支付宝公钥证书序列号');
  const cert = c?.mode === 'cert' ? c.certificates(creds.alipay).find((x) => x.sn === biz.alipay_cert_sn) : undefined;
  if (!cert) return { code: '40004', msg: 'Business Failed', sub_code: 'isv.alipay-cert-not-exist', sub_msg: '支付宝公钥证书不存在' };
  return { code: '10000', msg: 'Success', alipay_cert_content: Buffer.from(cert.certPem, 'utf8').toString('base64') };
}

/**
 * The certificate parameters of a request (before its signature is checked: they choose the key): a cert-mode
 * app must send both SNs, and they must name its certificate and Alipay's root; a public-key app has no
 * certificate to name. Undefined = fine.
 */
export function checkCertParams(creds: SandboxCredentials, p: Record<string, string>): Reply | undefined {
  const c = byCreds.get(creds);
  if (c?.mode !== 'cert') {
    return p.app_cert_sn ? invalidArg('isv.app-cert-not-exist', '应用公钥证书不存在') : undefined;
  }
  if (!p.app_cert_sn) return missing('app-cert-sn', '缺少应用公钥证书序列号');
  if (!p.alipay_root_cert_sn) return missing('alipay-root-cert-sn', '缺少支付宝根证书序列号');
  if (p.app_cert_sn !== c.files.sn.app_cert_sn) return invalidArg('isv.app-cert-not-exist', '应用公钥证书不存在');
  if (p.alipay_root_cert_sn !== c.files.sn.alipay_root_cert_sn) return invalidArg('isv.invalid-alipay-root-cert-sn', '无效的支付宝根证书序列号');
  return undefined;
}

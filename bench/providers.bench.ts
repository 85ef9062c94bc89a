/**
 * Cost of verifying and decrypting one WeChat Pay v3 notification, with the parsed public key cached (what the
 * provider does) against parsing the PEM on every notification (the baseline), measured in the same run.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { loadPublicKey } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/keys';
import { createWxpayProvider } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/provider';
import { encryptAeadAes256Gcm, signV3Response, verifyV3Signed, decryptAeadAes256Gcm } from '../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import { median } from './stats';

const ROUNDS = 7;
const PER_ROUND = 400;

export default async function run(): Promise<void> {
  const keyPair = () => generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const platform = keyPair();
  const merchant = keyPair();
  const apiV3Key = randomBytes(16).toString('hex');
  const serial = 'PUB_KEY_ID_BENCH';
  const ts = 1_700_000_000;
  const resource = JSON.stringify({ appid: 'wx1', mchid: '1900000109', out_trade_no: 'VK1', transaction_id: '42', trade_state: 'SUCCESS', success_time: '2026-01-01T12:00:00+08:00', amount: { total: 100, payer_total: 100, currency: 'CNY' } });
  // sign before the timed phase (RSA signing costs ~1.7 ms each)
  const notes = Array.from({ length: 50 }, (_, i) => {
    const nonce = randomBytes(6).toString('hex');
    const body = JSON.stringify({ id: `EV-${i}`, event_type: 'TRANSACTION.SUCCESS', resource_type: 'encrypt-resource', resource: { algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction', nonce, ciphertext: encryptAeadAes256Gcm(apiV3Key, nonce, 'transaction', resource) } });
    const hNonce = randomBytes(8).toString('hex');
    return { rawBody: body, headers: { 'wechatpay-timestamp': String(ts), 'wechatpay-nonce': hNonce, 'wechatpay-serial': serial, 'wechatpay-signature': signV3Response(body, platform.privateKey, ts, hNonce) } };
  });
  const provider = createWxpayProvider({ appId: 'wx1', mchId: '1900000109', apiV3Key, merchant: { serialNo: 'S', privateKeyPem: merchant.privateKey }, verifyKeys: [{ serial, publicKeyPem: platform.publicKey }] },
    { http: async () => { throw new Error('no network in this bench'); }, now: () => ts * 1000 });

  const cached = async () => {
    for (let i = 0; i < PER_ROUND; i++) await provider.verifyNotification(notes[i % notes.length]);
  };
  // baseline: the same steps, but the PEM is parsed for every notification (no KeyObject cache)
  const uncached = async () => {
    for (let i = 0; i < PER_ROUND; i++) {
      const n = notes[i % notes.length];
      verifyV3Signed({ timestamp: n.headers['wechatpay-timestamp'], nonce: n.headers['wechatpay-nonce'], signature: n.headers['wechatpay-signature'], serial }, n.rawBody, [{ serial, key: platform.publicKey }], ts * 1000);
      const r = JSON.parse(n.rawBody).resource;
      JSON.parse(decryptAeadAes256Gcm(apiV3Key, r.nonce, r.associated_data, r.ciphertext));
    }
  };
  loadPublicKey(platform.publicKey, 'warm');
  await cached(); await uncached(); // warm-up

  const perNote = async (fn: () => Promise<void>) => {
    const samples: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = process.hrtime.bigint();
      await fn();
      samples.push(Number(process.hrtime.bigint() - t) / 1e3 / PER_ROUND);
    }
    return median(samples);
  };
  const withCache = await perNote(cached);
  const withoutCache = await perNote(uncached);
  console.log(`wxpay v3 notification verify+decrypt, cached KeyObject : ${withCache.toFixed(1)} µs median`);
  console.log(`wxpay v3 notification verify+decrypt, PEM parsed each  : ${withoutCache.toFixed(1)} µs median (baseline)`);
  console.log(`ratio baseline/cached: ${(withoutCache / withCache).toFixed(2)}x`);
}

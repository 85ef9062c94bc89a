/**
 * GBK text (Alipay's bills and their zip entry names) decoded by the runtime's own WHATWG TextDecoder. It
 * replaces iconv-lite, which put every code page it knows into the cloud bundle for this one charset.
 *
 * The label is 'gb18030', a superset of GBK: it is what the Encoding Standard's 'gbk' decoder is, and it reads
 * a four-byte character (a rare name in a product title) that Node 16-20's 'gbk' label - ICU's plain GBK
 * converter - cannot. Official Node builds carry full ICU and with it this decoder; measured on v16.20.2,
 * v18.20.8 and v20 (test/cloud/statements-runtimes.test.ts). Decoding is lenient, as iconv-lite's was: a byte
 * that is no character becomes U+FFFD. The fields reconciliation reads (numbers, amounts, times) are ASCII and
 * the header names are checked, so a mangled product name cannot change a figure, while refusing the whole day
 * for it would (Node 16's ICU, for one, rejects a lone 0x80, the euro sign of Windows' code page 936).
 */
let decoder: InstanceType<typeof TextDecoder> | undefined;

export function gbkText(bytes: Uint8Array): string {
  if (!decoder) {
    try {
      decoder = new TextDecoder('gb18030');
    } catch (err) {
      // A Node built with small ICU (or none) knows only UTF-8 and UTF-16: say so rather than misread the bill.
      throw new Error(`this Node (${process.version}) cannot decode GBK, which Alipay's bills use: run a build with full ICU (${(err as Error).message})`);
    }
  }
  return decoder.decode(bytes);
}

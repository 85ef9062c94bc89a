/**
 * GBK text (Alipay's bills and their zip entry names) decoded by the runtime's own WHATWG TextDecoder, whose
 * 'gbk' label is the GB18030 decoder (a superset of GBK). Official Node builds carry full ICU and with it this
 * decoder; measured on v16.20.2, v18.20.8 and v20 (test/cloud/statements-runtimes.test.ts). It replaces
 * iconv-lite, which put every code page it knows into the cloud bundle for this one charset.
 */
import { StatementFormatError } from './types';

let lenient: TextDecoder | undefined;
let strict: TextDecoder | undefined;

function decoder(fatal: boolean): TextDecoder {
  try {
    if (fatal) return (strict ??= new TextDecoder('gbk', { fatal: true }));
    return (lenient ??= new TextDecoder('gbk'));
  } catch (err) {
    // A Node built with small ICU (or none) knows only UTF-8 and UTF-16: say so rather than misread the bill.
    throw new Error(`this Node (${process.version}) cannot decode GBK, which Alipay's bills use: run a build with full ICU (${(err as Error).message})`);
  }
}

/** A file's bytes; anything that is not GBK is not a bill (a mangled byte would silently change a name). */
export function gbkText(bytes: Uint8Array, what: string): string {
  const d = decoder(true);
  try {
    return d.decode(bytes);
  } catch {
    throw new StatementFormatError(`${what} is not GBK text`);
  }
}

/** A name only has to be recognised: a byte that is not GBK becomes U+FFFD and the name just does not match. */
export function gbkName(bytes: Uint8Array): string {
  return decoder(false).decode(bytes);
}

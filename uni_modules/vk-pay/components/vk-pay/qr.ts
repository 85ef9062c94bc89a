/**
 * QR codes for `code_url` payments (WeChat Native, Alipay precreate): a person at a desktop scans the code with
 * their phone, which cannot be done with the URL as text. Pure functions over `qrcode-generator` (no DOM, no
 * canvas), so the same code runs on H5, in mini-programs and in tests.
 */
import qrcode from 'qrcode-generator';
import { ParamError } from '../../common/errors';

/** M recovers ~15% damage: what payment QR codes commonly use, and a smaller code than Q/H for the same URL. */
const ERROR_CORRECTION = 'M';
/** The QR spec's quiet zone: four light modules on every side, or scanners may not find the code. */
export const QUIET_ZONE_MODULES = 4;
/** Pixels per module in the image: large enough that the image is shown scaled down, never blurred up. */
export const CELL_PIXELS = 8;

/**
 * UTF-8 bytes as a string of char codes 0..255. qrcode-generator's byte mode keeps only the low 8 bits of each
 * char code, which would mangle anything beyond Latin-1; handing it the UTF-8 bytes keeps every character (the
 * library's global `stringToBytes` is left alone). No TextEncoder: mini-program runtimes do not all have it.
 */
function utf8Binary(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out += String.fromCharCode(cp);
    else if (cp < 0x800) out += String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out += String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out += String.fromCharCode(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return out;
}

type QrCode = ReturnType<typeof qrcode>;

/** Encodes in byte mode at the smallest version (1..40) that holds the text at level M. */
function encode(text: string): QrCode {
  if (!text) throw new ParamError('QR code text is empty');
  const qr = qrcode(0, ERROR_CORRECTION);
  try {
    qr.addData(utf8Binary(text), 'Byte');
    qr.make();
  } catch (err) {
    // the library throws plain strings, e.g. "code length overflow" past version 40
    throw new ParamError(`cannot encode ${text.length} characters as a QR code: ${String(err)}`);
  }
  return qr;
}

/** Version 1..40 from the side length (the spec: 4 * version + 17 modules). */
export function qrVersion(matrix: readonly (readonly boolean[])[]): number {
  return (matrix.length - 17) / 4;
}

/** The modules, row by row; true is dark. Square, 4 * version + 17 on a side, without the quiet zone. */
export function qrMatrix(text: string): boolean[][] {
  const qr = encode(text);
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

/**
 * A black-on-white GIF data URL of the code with its quiet zone, `(modules + 8) * CELL_PIXELS` pixels square;
 * uni-app's `<image>` shows it on H5 and in mini-programs alike.
 */
export function qrDataUrl(text: string): string {
  return encode(text).createDataURL(CELL_PIXELS, QUIET_ZONE_MODULES * CELL_PIXELS);
}

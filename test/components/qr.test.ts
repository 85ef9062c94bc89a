/**
 * The QR encoding for code_url payments, checked against the QR spec (ISO/IEC 18004) rather than against the
 * library's own output: the side length, the finder and timing patterns, the format information (which carries
 * the error-correction level), byte-mode capacities at level M, UTF-8 input, and the GIF's size.
 */
import { describe, expect, it } from 'vitest';
import { CELL_PIXELS, QUIET_ZONE_MODULES, qrDataUrl, qrMatrix, qrVersion } from '../../uni_modules/vk-pay/components/vk-pay/qr';

const WECHAT = 'weixin://wxpay/bizpayurl?pr=Dq8Bz4Mzz';
const ALIPAY = 'https://qr.alipay.com/bax03431ljhokirwl38f00a7';

/** The 7x7 finder: dark ring, light ring, dark 3x3 core; plus its light separator row and column. */
function hasFinderAt(m: boolean[][], top: number, left: number): boolean {
  for (let r = 0; r < 7; r++) {
    for (let c = 0; c < 7; c++) {
      const ring = Math.max(Math.abs(r - 3), Math.abs(c - 3));
      const dark = ring === 3 || ring <= 1;
      if (m[top + r][left + c] !== dark) return false;
    }
  }
  return true;
}

function separatorIsLight(m: boolean[][], rows: number[], cols: number[]): boolean {
  return rows.every((r) => cols.every((c) => m[r][c] === false));
}

/** Remainder of the 15-bit format word by the spec's BCH generator x^10+x^8+x^5+x^4+x^2+x+1; 0 for a code word. */
function bchRemainder(word: number): number {
  const g = 0b10100110111;
  let v = word;
  for (let bit = 14; bit >= 10; bit--) if (v & (1 << bit)) v ^= g << (bit - 10);
  return v;
}

/** Both copies of the format information, read most significant bit first, with the spec's mask removed. */
function formatInfo(m: boolean[][]): [number, number] {
  const n = m.length;
  const bits = (cells: [number, number][]) => parseInt(cells.map(([r, c]) => (m[r][c] ? '1' : '0')).join(''), 2) ^ 0b101010000010010;
  const nearTopLeft: [number, number][] = [
    ...[0, 1, 2, 3, 4, 5, 7, 8].map((c): [number, number] => [8, c]),
    ...[7, 5, 4, 3, 2, 1, 0].map((r): [number, number] => [r, 8]),
  ];
  const split: [number, number][] = [
    ...[1, 2, 3, 4, 5, 6, 7].map((i): [number, number] => [n - i, 8]),
    ...[8, 7, 6, 5, 4, 3, 2, 1].map((i): [number, number] => [8, n - i]),
  ];
  return [bits(nearTopLeft), bits(split)];
}

describe('qrMatrix', () => {
  for (const text of [WECHAT, ALIPAY, 'a', 'x'.repeat(500)]) {
    it(`is a square of 4*version+17 with the spec's fixed patterns (${text.length} chars)`, () => {
      const m = qrMatrix(text);
      const n = m.length;
      const version = qrVersion(m);
      expect(Number.isInteger(version)).toBe(true);
      expect(version).toBeGreaterThanOrEqual(1);
      expect(version).toBeLessThanOrEqual(40);
      expect(n).toBe(4 * version + 17);
      for (const row of m) expect(row).toHaveLength(n);

      // finders at top-left, top-right and bottom-left, each with its light separator; none at bottom-right
      expect(hasFinderAt(m, 0, 0)).toBe(true);
      expect(hasFinderAt(m, 0, n - 7)).toBe(true);
      expect(hasFinderAt(m, n - 7, 0)).toBe(true);
      expect(hasFinderAt(m, n - 7, n - 7)).toBe(false);
      expect(separatorIsLight(m, [7], [0, 1, 2, 3, 4, 5, 6, 7])).toBe(true);
      expect(separatorIsLight(m, [0, 1, 2, 3, 4, 5, 6, 7], [7])).toBe(true);
      expect(separatorIsLight(m, [7], [n - 8, n - 7, n - 6, n - 5, n - 4, n - 3, n - 2, n - 1])).toBe(true);
      expect(separatorIsLight(m, [n - 8], [0, 1, 2, 3, 4, 5, 6, 7])).toBe(true);

      // timing patterns: row 6 and column 6 alternate dark/light between the finders
      for (let i = 8; i < n - 8; i++) {
        expect(m[6][i]).toBe(i % 2 === 0);
        expect(m[i][6]).toBe(i % 2 === 0);
      }
      // the dark module beside the bottom-left finder
      expect(m[4 * version + 9][8]).toBe(true);

      // format information: both copies agree, form a BCH code word, and say level M (bits 14-13 = 00)
      const [a, b] = formatInfo(m);
      expect(a).toBe(b);
      expect(bchRemainder(a)).toBe(0);
      expect(a >> 13).toBe(0b00);
    });
  }

  it('gives the same matrix for the same text and a different one for a different text', () => {
    expect(qrMatrix(WECHAT)).toEqual(qrMatrix(WECHAT));
    expect(qrMatrix(WECHAT)).not.toEqual(qrMatrix(`${WECHAT}x`));
  });

  it('never shrinks as the text grows, and stops at the byte capacities of level M', () => {
    let previous = 0;
    for (let len = 1; len <= 200; len++) {
      const v = qrVersion(qrMatrix('u'.repeat(len)));
      expect(v).toBeGreaterThanOrEqual(previous);
      previous = v;
    }
    expect(qrVersion(qrMatrix(ALIPAY))).toBeGreaterThanOrEqual(qrVersion(qrMatrix('weixin://x')));
    // the spec's table for byte mode at M: version 1 holds 14 bytes, 2 holds 26, 3 holds 42, 4 holds 62
    for (const [bytes, version] of [[14, 1], [15, 2], [26, 2], [27, 3], [42, 3], [43, 4], [62, 4], [63, 5]]) {
      expect(qrVersion(qrMatrix('a'.repeat(bytes)))).toBe(version);
    }
  });

  it('encodes UTF-8: five Chinese characters are 15 bytes, one more than version 1 holds', () => {
    expect(qrVersion(qrMatrix('微信支付款'))).toBe(2);
    expect(qrVersion(qrMatrix('abcde'))).toBe(1);
  });

  it('refuses an empty text and one beyond version 40 with a ParamError (40001)', () => {
    expect(() => qrMatrix('')).toThrowError(expect.objectContaining({ code: 40001 }));
    // version 40 at M holds 2331 bytes
    expect(qrVersion(qrMatrix('a'.repeat(2331)))).toBe(40);
    expect(() => qrMatrix('a'.repeat(2332))).toThrowError(expect.objectContaining({ code: 40001 }));
  });
});

describe('qrDataUrl', () => {
  it('is a GIF of the code plus a four-module quiet zone, CELL_PIXELS per module', () => {
    const url = qrDataUrl(WECHAT);
    expect(url.startsWith('data:image/gif;base64,')).toBe(true);
    const gif = Buffer.from(url.slice('data:image/gif;base64,'.length), 'base64');
    expect(gif.subarray(0, 6).toString('latin1')).toMatch(/^GIF8[79]a$/);
    const side = (qrMatrix(WECHAT).length + 2 * QUIET_ZONE_MODULES) * CELL_PIXELS;
    expect(gif.readUInt16LE(6)).toBe(side);
    expect(gif.readUInt16LE(8)).toBe(side);
    expect(gif[gif.length - 1]).toBe(0x3b); // GIF trailer: the image is complete
    expect(qrDataUrl(WECHAT)).toBe(url);
    expect(qrDataUrl(ALIPAY)).not.toBe(url);
  });
});

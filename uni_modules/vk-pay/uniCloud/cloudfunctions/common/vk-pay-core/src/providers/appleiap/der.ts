/**
 * The few lines of DER reading the App Store chain check needs: node:crypto's X509Certificate verifies
 * signatures and reports dates, but does not list a certificate's extensions, and Apple marks its in-app
 * purchase certificates with extensions of its own (docs/PROTOCOLS.md, App Store). Pure, no core imports.
 */

export interface Tlv {
  tag: number;
  /** offset of the value inside the buffer the TLV was read from */
  start: number;
  end: number;
}

/** One TLV at `offset` (definite lengths only, as DER requires); throws on anything truncated. */
export function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new Error('DER: truncated');
  const tag = buf[offset];
  let len = buf[offset + 1];
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  const end = start + len;
  if (end > buf.length) throw new Error('DER: truncated');
  return { tag, start, end };
}

/** The children of a constructed TLV. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const t = readTlv(buf, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

/** Dotted form of an OBJECT IDENTIFIER's content bytes. */
export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new Error('DER: empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) { arcs.push(value); value = 0; }
  }
  const first = arcs.shift() as number;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

const OID_TAG = 0x06;
const EXTENSIONS_TAG = 0xa3; // [3] EXPLICIT in TBSCertificate

/** The extension OIDs of a DER certificate (Certificate -> TBSCertificate -> [3] -> Extensions -> extnID). */
export function extensionOids(certDer: Uint8Array): string[] {
  const cert = readTlv(certDer, 0);
  const [tbs] = children(certDer, cert);
  if (!tbs) throw new Error('DER: no TBSCertificate');
  const wrapper = children(certDer, tbs).find((t) => t.tag === EXTENSIONS_TAG);
  if (!wrapper) return [];
  const [list] = children(certDer, wrapper);
  if (!list) return [];
  return children(certDer, list).map((ext) => {
    const [id] = children(certDer, ext);
    if (!id || id.tag !== OID_TAG) throw new Error('DER: extension without an OID');
    return decodeOid(certDer.subarray(id.start, id.end));
  });
}

/**
 * The flat XML WeChat v2 speaks: `<xml><k><![CDATA[v]]></k>...</xml>`. Parsing uses fast-xml-parser with entity
 * expansion off (no DOCTYPE/entity tricks) and every value kept as a string (a `total_fee` of "0100" or a
 * 20-digit transaction id must never pass through a float).
 */
import { XMLParser } from 'fast-xml-parser';
import { ParamError } from '../../../../../../../common/errors';

const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  trimValues: false,
});

/**
 * `<xml>` (or `<root>`, used by the decrypted req_info) as a flat string map. Nested or repeated elements are
 * not part of the flat format: dropped, or with `strict` (what a notification must be) refused.
 */
export function parseV2Xml(text: string, strict = false): Record<string, string> {
  // The flat format has CDATA sections and nothing else that starts with `<!`: no DOCTYPE, entity, comment or
  // look-alike (the parser reads `<![XDATA[` as CDATA; found by fuzzing a bit flip that still verified).
  if (strict && /<!(?!\[CDATA\[)/.test(text)) throw new ParamError('XML with a declaration, comment or DOCTYPE is not v2 flat XML');
  let doc: unknown;
  try {
    doc = parser.parse(text, true);
  } catch (err) {
    throw new ParamError(`malformed XML: ${(err as Error).message}`);
  }
  const d = (doc ?? {}) as Record<string, unknown>;
  const root = 'xml' in d ? d.xml : 'root' in d ? d.root : undefined;
  if (root === '') return {}; // an empty element parses to ''
  if (!root || typeof root !== 'object') throw new ParamError('XML has no <xml> or <root> element');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (v === null || v === undefined || v === '') out[k] = '';
    // nested elements or repeated tags are not part of the v2 flat format; they are dropped, not guessed at
    else if (strict) throw new ParamError(`element <${k.slice(0, 32)}> is nested or repeated`);
  }
  return out;
}

function cdata(value: string): string {
  // `]]>` cannot appear inside CDATA: split it across two sections
  return `<![CDATA[${value.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/** A flat map as v2 XML; keys must be plain tag names. Empty/undefined values are left out. */
export function buildV2Xml(params: Record<string, string | number | undefined | null>, root = 'xml'): string {
  let body = '';
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || String(v) === '') continue;
    if (!/^[A-Za-z_][\w.-]*$/.test(k)) throw new ParamError(`bad XML tag name ${k}`);
    body += `<${k}>${cdata(String(v))}</${k}>`;
  }
  return `<${root}>${body}</${root}>`;
}

/**
 * WeChat v2's flat XML (`<xml><k>v</k>...</xml>`). Parsed with fast-xml-parser with entity expansion off
 * (no DOCTYPE entity can expand); only the five predefined XML escapes are decoded, by hand.
 */
import { XMLParser } from 'fast-xml-parser';

const parser = new XMLParser({ processEntities: false, htmlEntities: false, parseTagValue: false, ignoreDeclaration: true, ignoreAttributes: true });

function unescapeXml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** The children of the root element as strings; undefined when the text is not flat XML with one root. */
export function parseFlatXml(text: string, root = 'xml'): Record<string, string> | undefined {
  let doc: any;
  try {
    doc = parser.parse(text);
  } catch {
    return undefined;
  }
  const top = doc?.[root];
  if (!top || typeof top !== 'object' || Array.isArray(top)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(top)) {
    if (typeof v === 'string') out[k] = unescapeXml(v);
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else return undefined; // nested or repeated elements: not the flat shape the v2 API uses
  }
  return out;
}

/** Builds flat XML; values go into CDATA unless they are plain numbers (as the gateway prints them). */
export function buildFlatXml(fields: Record<string, string | number | undefined>, root = 'xml'): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const text = String(v);
    parts.push(/^\d+$/.test(text) ? `<${k}>${text}</${k}>` : `<${k}><![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]></${k}>`);
  }
  return `<${root}>${parts.join('')}</${root}>`;
}

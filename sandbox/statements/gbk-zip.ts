/**
 * Alipay serves its statements as a zip of GBK text files whose entry NAMES are GBK bytes too, without the
 * zip's UTF-8 flag. fflate (what the core unzips with) always writes UTF-8 names, so the sandbox writes the
 * archive with adm-zip, whose name encoder can be swapped for GBK: the core then meets the real thing.
 */
import { createRequire } from 'node:module';
import iconv from 'iconv-lite';

interface AdmZipLike {
  addFile(name: string, data: Buffer): void;
  toBuffer(): Buffer;
}
type AdmZipCtor = new (input: undefined, opts: { decoder: { efs: boolean; encode(s: string): Buffer; decode(b: Buffer): string } }) => AdmZipLike;

const AdmZip = createRequire(import.meta.url)('adm-zip') as AdmZipCtor;

/** name -> text; both written as GBK. */
export function gbkZip(files: Record<string, string>): Buffer {
  const zip = new AdmZip(undefined, { decoder: { efs: false, encode: (s) => iconv.encode(s, 'gbk'), decode: (b) => iconv.decode(b, 'gbk') } });
  for (const [name, text] of Object.entries(files)) zip.addFile(name, iconv.encode(text, 'gbk'));
  return zip.toBuffer();
}

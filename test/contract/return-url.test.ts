/**
 * The configs' returnUrl is where a wap/page/h5 payment brings the person back: it must name a page the app
 * really has (pages.json), or the person lands on a blank route after paying.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const pages = (JSON.parse(readFileSync(path.join(root, 'pages.json'), 'utf8')).pages as Array<{ path: string }>).map((p) => p.path);

describe.each(['config.js', 'config.example.js'])('uni-config-center/vk-pay/%s', (file) => {
  it('returnUrl routes to a page of pages.json (the payment result page)', () => {
    const text = readFileSync(path.join(root, 'uni_modules/uni-config-center/uniCloud/cloudfunctions/common/uni-config-center/vk-pay', file), 'utf8');
    const m = /returnUrl:\s*[^\n]*?#\/([A-Za-z0-9_/-]+)['"]/.exec(text);
    expect(m, 'a returnUrl with a hash route').not.toBeNull();
    expect(pages).toContain(m![1]);
    expect(m![1]).toBe('pages/result/result');
  });
});

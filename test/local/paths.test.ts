/**
 * Where the local host looks for a project's cloud code, as HBuilderX does: the project's own folder (named after
 * the bound provider, `uniCloud-aliyun/` and the like, or plain `uniCloud/`) and every uni_modules plugin's
 * `uniCloud/`; functions are discovered in all of them and two of one name are refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudFunctionRoots, databaseDirs, findCommonModule, uniCloudRoots } from '../../local/paths';
import { discoverFunctionDirs } from '../../local/runtime/functions';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function project(files: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-paths-'));
  made.push(dir);
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '{}');
  }
  return dir;
}

describe('a project\'s cloud folders', () => {
  it('reads uniCloud-<provider>/ and every uni_modules/<plugin>/uniCloud/', () => {
    const p = project([
      'uniCloud-aliyun/cloudfunctions/own-fn/package.json',
      'uniCloud-aliyun/cloudfunctions/common/shared-mod/package.json',
      'uniCloud-aliyun/database/own.index.json',
      'uni_modules/vk-pay/uniCloud/cloudfunctions/vk-pay-co/package.json',
      'uni_modules/vk-pay/uniCloud/database/payment_orders.index.json',
      'uni_modules/uni-config-center/uniCloud/cloudfunctions/common/uni-config-center/package.json',
      'uni_modules/no-cloud/components/x/x.vue',
      'uniCloudish/cloudfunctions/not-this/package.json',
    ]);
    expect(uniCloudRoots(p).map((r) => path.relative(p, r))).toEqual(['uniCloud-aliyun', path.join('uni_modules', 'uni-config-center', 'uniCloud'), path.join('uni_modules', 'vk-pay', 'uniCloud')]);
    expect(cloudFunctionRoots(p)).toHaveLength(3);
    expect(databaseDirs(p).map((d) => path.relative(p, d))).toEqual([path.join('uniCloud-aliyun', 'database'), path.join('uni_modules', 'vk-pay', 'uniCloud', 'database')]);
    expect(discoverFunctionDirs(p).map((d) => path.basename(d))).toEqual(['own-fn', 'vk-pay-co']);
    expect(findCommonModule('uni-config-center', p)).toBe(path.join(p, 'uni_modules', 'uni-config-center', 'uniCloud', 'cloudfunctions', 'common', 'uni-config-center'));
    expect(findCommonModule('shared-mod', p)).toBeDefined();
    expect(findCommonModule('nope', p)).toBeUndefined();
  });

  it('refuses two functions of one name, as one space would', () => {
    const p = project(['uniCloud/cloudfunctions/pay/package.json', 'uni_modules/other/uniCloud/cloudfunctions/pay/package.json']);
    expect(() => discoverFunctionDirs(p)).toThrow(/two cloud functions named pay/);
  });
});

/**
 * Where things are. A uni-app project keeps cloud code in two kinds of places, and HBuilderX treats them as one
 * space: the project's own `uniCloud/` and each plugin's `uni_modules/<plugin>/uniCloud/`. The local host reads
 * both, for whatever project it is pointed at (this repository's demo by default).
 */
import fs from 'node:fs';
import path from 'node:path';

// `__dirname`: this package is CommonJS (no "type" in package.json), which is how tsx runs these files for
// `npm start`; vitest provides `__dirname` too.
export const REPO_ROOT = path.resolve(__dirname, '..');
export const PLUGIN_DIR = path.join(REPO_ROOT, 'uni_modules', 'vk-pay');
export const CORE_DIR = path.join(PLUGIN_DIR, 'uniCloud', 'cloudfunctions', 'common', 'vk-pay-core');
export const CORE_BUNDLE = path.join(CORE_DIR, 'index.js');
export const H5_DIST_DIR = path.join(REPO_ROOT, 'dist', 'build', 'h5');

/**
 * The `uniCloud/` folders of a project: its own first (HBuilderX names it after the bound provider:
 * `uniCloud-aliyun/`, `uniCloud-tcb/`, `uniCloud-alipay/`, `uniCloud-dcloud/`, or plain `uniCloud/`), then each
 * uni_modules plugin's `uniCloud/`, sorted by plugin id.
 */
export function uniCloudRoots(projectDir: string = REPO_ROOT): string[] {
  const own = fs.existsSync(projectDir)
    ? fs.readdirSync(projectDir, { withFileTypes: true }).filter((e) => e.isDirectory() && /^uniCloud(-(aliyun|tcb|alipay|dcloud))?$/.test(e.name)).map((e) => e.name).sort()
    : [];
  const roots = own.map((d) => path.join(projectDir, d));
  const modules = path.join(projectDir, 'uni_modules');
  if (fs.existsSync(modules)) {
    for (const d of fs.readdirSync(modules, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
      roots.push(path.join(modules, d, 'uniCloud'));
    }
  }
  return roots.filter((r) => fs.existsSync(r));
}

/** Every `cloudfunctions/` folder of a project (functions and their `common/` modules). */
export function cloudFunctionRoots(projectDir: string = REPO_ROOT): string[] {
  return uniCloudRoots(projectDir).map((r) => path.join(r, 'cloudfunctions')).filter((d) => fs.existsSync(d));
}

/** Every `database/` folder of a project (schema and index files). */
export function databaseDirs(projectDir: string = REPO_ROOT): string[] {
  return uniCloudRoots(projectDir).map((r) => path.join(r, 'database')).filter((d) => fs.existsSync(d));
}

/** A common module by name, wherever the project keeps it (`<root>/cloudfunctions/common/<name>`). */
export function findCommonModule(name: string, projectDir: string = REPO_ROOT): string | undefined {
  for (const root of cloudFunctionRoots(projectDir)) {
    const dir = path.join(root, 'common', name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

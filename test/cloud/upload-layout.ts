/**
 * What a user uploads, laid out outside the repository: the built `uniCloud/cloudfunctions` tree of the plugin
 * copied into a temporary folder (so no devDependency of the repository is reachable), each function's `file:`
 * common modules copied into its node_modules (what uniCloud's upload installs), and the harness that runs a
 * function with only a `uniCloud` global beside them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const SOURCE = path.join(ROOT, 'uni_modules', 'vk-pay', 'uniCloud', 'cloudfunctions');
export const DATABASE_DIR = path.join(ROOT, 'uni_modules', 'vk-pay', 'uniCloud', 'database');
export const FUNCTIONS = ['vk-pay-co', 'vk-pay-notify', 'vk-pay-sync'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** The harness and the one module it needs, copied beside the upload. */
const HARNESS_FILES = ['bundle-harness.cjs', 'wire.cjs'];

export interface UploadLayout {
  /** the temporary folder holding everything (removed by `remove`) */
  workDir: string;
  cloudfunctions: string;
  harness: string;
  functionDir(fn: FunctionName): string;
  /** the common modules installed into each function's node_modules */
  installed: Record<string, string[]>;
  remove(): void;
}

export function copyTree(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true, filter: (src) => path.basename(src) !== 'node_modules' && !src.endsWith('.tmp') });
}

function fileDeps(dir: string): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.fromEntries(Object.entries(pkg.dependencies ?? {}).filter(([, v]) => v.startsWith('file:')).map(([k, v]) => [k, v.slice(5)]));
}

/** uniCloud's install: every declared `file:` common module copied into the function's node_modules. */
function installCommonModules(sourceDir: string, fnDir: string): string[] {
  const installed: string[] = [];
  for (const [name, rel] of Object.entries(fileDeps(sourceDir))) {
    let from = path.resolve(sourceDir, rel);
    // DCloud's uni-id-common comes with a project that uses uni-id; this repository does not carry it, so the
    // upload gets the local host's implementation of the same token rules in its place.
    if (name === 'uni-id-common' && !fs.existsSync(from)) from = path.join(ROOT, 'local', 'uni-id-common');
    if (!fs.existsSync(path.join(from, 'package.json'))) throw new Error(`${path.basename(fnDir)} depends on ${rel}, which does not exist`);
    copyTree(from, path.join(fnDir, 'node_modules', name));
    installed.push(name);
  }
  return installed;
}

/** Builds the cloud bundle from the current sources (write-then-rename: safe beside other test files). */
export function buildCloudBundle(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cloud.mjs')], { cwd: ROOT, stdio: 'pipe' });
}

export function createUploadLayout(prefix = 'vkpay-upload-'): UploadLayout {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const cloudfunctions = path.join(workDir, 'cloudfunctions');
  copyTree(SOURCE, cloudfunctions);
  for (const f of HARNESS_FILES) fs.copyFileSync(path.join(__dirname, f), path.join(workDir, f));
  const installed: Record<string, string[]> = {};
  for (const fn of FUNCTIONS) installed[fn] = installCommonModules(path.join(SOURCE, fn), path.join(cloudfunctions, fn));
  return {
    workDir,
    cloudfunctions,
    harness: path.join(workDir, 'bundle-harness.cjs'),
    functionDir: (fn) => path.join(cloudfunctions, fn),
    installed,
    remove: () => fs.rmSync(workDir, { recursive: true, force: true }),
  };
}

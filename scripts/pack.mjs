#!/usr/bin/env node
// `npm run pack`: the DCloud uni_modules plugin a user installs, built from uni_modules/vk-pay (the same sources the
// demo app at the repository root runs):
//
//   dist/uni_modules/vk-pay/      the plugin folder (what goes into a project's uni_modules/)
//   dist/vk-pay-<version>.zip     that folder as vk-pay/... (unzip into a project's uni_modules/)
//
// The copy leaves out what a user must not get (the core's TypeScript src/, source maps, tests, editor and build
// leftovers), keeps the built core bundle, carries the npm code the component needs (qrcode-generator, unless the
// sources already vendor it) and the documented production config (config.example.js). It REFUSES, with the
// reason, when the bundle is missing or older than its sources, when a plugin-market file is missing or
// disagrees with the root package.json, or when an import in the packed folder would not resolve inside it
// (scripts/pack-imports.mjs). Uncommitted changes do not stop it: it says the tree was dirty.
//
//   node scripts/pack.mjs [--out <dir>] [--root <dir>]   (--root: pack another checkout's uni_modules/vk-pay; tests)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudBuildIsStale } from './build-cloud.mjs';
import { checkPackageImports } from './pack-imports.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PLUGIN_ID = 'vk-pay';
const BUNDLE_REL = 'uniCloud/cloudfunctions/common/vk-pay-core/index.js';
const CONFIG_EXAMPLE_REL = 'uni_modules/uni-config-center/uniCloud/cloudfunctions/common/uni-config-center/vk-pay/config.example.js';
const REQUIRED_PLUGIN_DEPS = ['uni-config-center', 'uni-id-common'];

/** Left out of the package, by path inside it or by name anywhere. */
const LEFT_OUT_PATHS = new Set(['uniCloud/cloudfunctions/common/vk-pay-core/src']);
const LEFT_OUT_NAME = /^(node_modules|unpackage|\.hbuilderx|__tests__|__fixtures__|\.DS_Store)$|\.(test|spec)\.[cm]?[jt]s$|\.map$|\.tmp$/;

/**
 * npm modules the component imports that a uni_modules plugin must carry: HBuilderX projects run no npm install.
 * Copied into js_sdk/<name>/ with their licence, and the packed imports point there.
 */
const VENDORED = [
  {
    name: 'qrcode-generator',
    file: 'qrcode.mjs',
    types: 'qrcode.d.ts',
    copyright: 'Copyright (c) 2009 Kazuhiko Arase',
    // the library's own typings declare a global `qrcode`; this gives the relative ESM import its default export
    moduleTypes: '/// <reference path="./qrcode.d.ts" />\ndeclare const factory: typeof qrcode;\nexport default factory;\n',
  },
];

export class PackRefused extends Error {
  constructor(reasons) {
    super(`npm run pack refused:\n${reasons.map((r) => `  - ${r}`).join('\n')}`);
    this.name = 'PackRefused';
    this.reasons = reasons;
  }
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** What the plugin market needs, checked against the root package.json (version and licence come from there). */
function marketFileProblems(pluginDir, rootPkg) {
  const problems = [];
  const file = (name) => path.join(pluginDir, name);
  if (!fs.existsSync(file('package.json'))) return ['uni_modules/vk-pay/package.json is missing'];
  const pkg = readJson(file('package.json'));
  if (pkg.id !== PLUGIN_ID) problems.push(`package.json id is ${JSON.stringify(pkg.id)}, not "${PLUGIN_ID}"`);
  if (pkg.version !== rootPkg.version) problems.push(`package.json version ${pkg.version} differs from the root package.json's ${rootPkg.version}: bump both`);
  for (const key of ['displayName', 'description']) if (typeof pkg[key] !== 'string' || !pkg[key]) problems.push(`package.json needs a ${key}`);
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0 || pkg.keywords.length > 5) problems.push('package.json needs 1 to 5 keywords (the market shows at most 5)');
  if (typeof pkg.repository !== 'string') problems.push('package.json needs a repository (a string, may be empty)');
  if (typeof pkg.engines?.HBuilderX !== 'string') problems.push('package.json needs engines.HBuilderX');
  const ext = pkg.dcloudext ?? {};
  if (typeof ext.type !== 'string' || !ext.sale || !ext.contact) problems.push('package.json needs dcloudext.type, .sale and .contact');
  for (const key of ['ads', 'data', 'permissions']) if (typeof ext.declaration?.[key] !== 'string' || !ext.declaration[key]) problems.push(`package.json needs dcloudext.declaration.${key}`);
  const deps = pkg.uni_modules?.dependencies ?? [];
  for (const dep of REQUIRED_PLUGIN_DEPS) if (!deps.includes(dep)) problems.push(`package.json uni_modules.dependencies lacks ${dep}`);
  if (!pkg.uni_modules?.platforms?.cloud || !pkg.uni_modules?.platforms?.client) problems.push('package.json needs uni_modules.platforms.cloud and .client');
  if (!fs.existsSync(file('readme.md')) || !fs.readFileSync(file('readme.md'), 'utf8').trim()) problems.push('uni_modules/vk-pay/readme.md is missing or empty');
  const changelog = fs.existsSync(file('changelog.md')) ? fs.readFileSync(file('changelog.md'), 'utf8') : '';
  if (!new RegExp(`^## ${rootPkg.version.replace(/\./g, '\\.')}\\b`, 'm').test(changelog)) problems.push(`uni_modules/vk-pay/changelog.md has no "## ${rootPkg.version}" entry`);
  const license = fs.existsSync(file('LICENSE')) ? fs.readFileSync(file('LICENSE'), 'utf8') : '';
  if (rootPkg.license !== 'MIT' || !license.startsWith('MIT License')) problems.push(`uni_modules/vk-pay/LICENSE must be the MIT licence the root package.json names (it says ${rootPkg.license})`);
  return problems;
}

function copyTree(from, to, rel = '') {
  fs.mkdirSync(to, { recursive: true });
  const copied = [];
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const childRel = rel ? `${rel}/${entry.name}` : entry.name;
    if (LEFT_OUT_PATHS.has(childRel) || LEFT_OUT_NAME.test(entry.name)) continue;
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) copied.push(...copyTree(src, dest, childRel));
    else if (entry.isFile()) {
      fs.copyFileSync(src, dest);
      copied.push(childRel);
    }
  }
  return copied;
}

/** Copies each vendored module the packed client code imports by name, and points those imports at the copy. */
function vendorNpmModules(pkgDir) {
  // the modules installed for this repository's toolchain; the licence text after our own copyright line
  const req = createRequire(path.join(REPO_ROOT, 'package.json'));
  const mitBody = fs.readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8').split('\n').slice(3).join('\n');
  const done = [];
  const sources = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && full !== path.join(pkgDir, 'uniCloud')) walk(full);
      else if (e.isFile() && /\.(vue|ts|js|mjs)$/.test(e.name)) sources.push(full);
    }
  };
  walk(pkgDir);
  for (const mod of VENDORED) {
    const pattern = `(\\bfrom\\s*|\\bimport\\s*\\(\\s*|\\bimport\\s*)(['"])${mod.name}\\2`;
    const users = sources.filter((f) => new RegExp(pattern).test(fs.readFileSync(f, 'utf8')));
    if (users.length === 0) continue;
    const distDir = path.dirname(req.resolve(mod.name));
    const version = readJson(path.join(distDir, '..', 'package.json')).version;
    const into = path.join(pkgDir, 'js_sdk', mod.name);
    fs.mkdirSync(into, { recursive: true });
    fs.copyFileSync(path.join(distDir, mod.file), path.join(into, mod.file));
    fs.copyFileSync(path.join(distDir, mod.types), path.join(into, mod.types));
    fs.writeFileSync(path.join(into, mod.file.replace(/\.mjs$/, '.d.mts')), mod.moduleTypes);
    fs.writeFileSync(path.join(into, 'LICENSE'), `MIT License (${mod.name} ${version}, vendored unchanged)\n\n${mod.copyright}\n${mitBody}`);
    for (const user of users) {
      let rel = path.relative(path.dirname(user), path.join(into, mod.file)).split(path.sep).join('/');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      fs.writeFileSync(user, fs.readFileSync(user, 'utf8').replace(new RegExp(pattern, 'g'), (_m, lead, q) => `${lead}${q}${rel}${q}`));
    }
    done.push({ name: mod.name, version, files: users.map((u) => path.relative(pkgDir, u).split(path.sep).join('/')) });
  }
  return done;
}

/** The commit packed and whether the tree had uncommitted changes (undefined outside a git checkout). */
function gitState(root) {
  try {
    const run = (...args) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = run('rev-parse', '--short', 'HEAD');
    const changed = run('status', '--porcelain').split('\n').filter(Boolean).length;
    return { commit, changed, time: new Date(Number(run('log', '-1', '--format=%ct')) * 1000) };
  } catch {
    return undefined;
  }
}

function listFiles(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), childRel));
    else out.push(childRel);
  }
  return out;
}

/** The folder as a zip whose entries are `vk-pay/...`, in a stable order with the commit's time. */
function writeZip(pkgDir, zipFile, time) {
  const AdmZip = createRequire(path.join(REPO_ROOT, 'package.json'))('adm-zip');
  const zip = new AdmZip();
  for (const rel of listFiles(pkgDir)) {
    const entry = zip.addFile(`${PLUGIN_ID}/${rel}`, fs.readFileSync(path.join(pkgDir, rel)), '', 0o644);
    entry.header.time = time;
  }
  fs.writeFileSync(zipFile, zip.toBuffer());
  return fs.statSync(zipFile).size;
}

/**
 * Builds the package from `root` (default this repository) into `outDir` (default `<root>/dist`).
 * Throws PackRefused with every reason when it will not pack.
 */
export function pack({ root = REPO_ROOT, outDir = path.join(root, 'dist') } = {}) {
  const rootPkg = readJson(path.join(root, 'package.json'));
  const pluginDir = path.join(root, 'uni_modules', PLUGIN_ID);
  const bundle = path.join(pluginDir, BUNDLE_REL);
  const reasons = [];
  if (!fs.existsSync(bundle)) reasons.push(`the cloud bundle ${path.relative(root, bundle)} is missing: run npm run build:cloud`);
  else if (cloudBuildIsStale(bundle)) reasons.push(`the cloud bundle ${path.relative(root, bundle)} is older than its sources (vk-pay-core/src, common/): run npm run build:cloud`);
  reasons.push(...marketFileProblems(pluginDir, rootPkg));
  if (reasons.length) throw new PackRefused(reasons);
  const git = gitState(root); // before anything is written, so an output folder inside the tree is not counted

  const destDir = path.join(outDir, 'uni_modules', PLUGIN_ID);
  fs.rmSync(destDir, { recursive: true, force: true });
  copyTree(pluginDir, destDir);
  const vendored = vendorNpmModules(destDir);
  const example = path.join(root, CONFIG_EXAMPLE_REL);
  if (fs.existsSync(example)) fs.copyFileSync(example, path.join(destDir, 'config.example.js'));

  const check = checkPackageImports(destDir);
  if (check.problems.length) {
    fs.rmSync(destDir, { recursive: true, force: true });
    throw new PackRefused(check.problems.map((p) => `import check: ${p}`));
  }
  const zipFile = path.join(outDir, `${PLUGIN_ID}-${rootPkg.version}.zip`);
  const zipBytes = writeZip(destDir, zipFile, git?.time ?? new Date());
  return { version: rootPkg.version, dir: destDir, zipFile, zipBytes, files: listFiles(destDir), vendored, check, git };
}

function cli() {
  const arg = (name) => {
    const at = process.argv.indexOf(name);
    return at > 0 && process.argv[at + 1] ? path.resolve(process.argv[at + 1]) : undefined;
  };
  const root = arg('--root');
  try {
    const r = pack({ root, outDir: arg('--out') });
    const rel = (p) => path.relative(process.cwd(), p);
    console.log(`pack: ${rel(r.dir)} (${r.files.length} files)`);
    console.log(`pack: ${rel(r.zipFile)} ${(r.zipBytes / 1024).toFixed(1)} KB (${r.zipBytes} bytes)`);
    console.log(`pack: import check passed: ${r.check.imports} imports in ${r.check.files} files resolve inside the package`);
    for (const v of r.vendored) console.log(`pack: carried ${v.name} ${v.version} in js_sdk/${v.name} for ${v.files.join(', ')}`);
    if (r.git) console.log(`pack: from commit ${r.git.commit}${r.git.changed ? ` with ${r.git.changed} uncommitted change(s) (dirty tree)` : ''}`);
  } catch (err) {
    console.error(err instanceof PackRefused ? err.message : err);
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) cli();

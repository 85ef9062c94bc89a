// The package's import check (run by scripts/pack.mjs on the packed folder): a uni_modules plugin is copied into
// projects that have nothing of this repository, so every import in it must resolve inside it.
//
// - Relative imports and requires must land on a file inside the package (a path into a left-out folder such as
//   the core's src/ fails as well as one that climbs out).
// - Client code (components/, common/, js_sdk/) may import only what every uni-app project has: `vue` and
//   `@dcloudio/uni-app`, `@dcloudio/uni-i18n`. Anything else from npm must be carried inside the package.
// - Cloud code (uniCloud/, config.example.js) may require Node's own modules and the common modules its
//   package.json declares as `file:` dependencies; each `file:` path must stay inside the package or point at a
//   uni_modules plugin the package lists in uni_modules.dependencies (what HBuilderX installs beside it).
//
// Imports are read with TypeScript's pre-processor, which skips comments and strings, so the JSDoc
// `import('./x.js')` types inside the bundled core are not mistaken for code.
import { builtinModules, createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

// loaded on first use: a pack refused earlier (stale bundle, market files) need not pay for it
let ts;
const typescript = () => (ts ??= createRequire(import.meta.url)('typescript'));

// @dcloudio/uni-i18n is uni-app's own i18n runtime (HBuilderX and the CLI templates carry it; uni-ui imports it too).
export const CLIENT_BARE_ALLOWED = ['vue', '@dcloudio/uni-app', '@dcloudio/uni-i18n'];
const SCANNED = /\.(vue|ts|mts|cts|js|mjs|cjs)$/;
const RESOLVE_SUFFIXES = ['', '.ts', '.js', '.vue', '.mjs', '.cjs', '.json', '.d.ts', '.d.mts', '/index.ts', '/index.js'];
const BUILTINS = new Set(builtinModules);

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

const inside = (dir, file) => {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** The code of a file: a .vue file's <script> blocks, anything else whole. */
function codeOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (!file.endsWith('.vue')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

/** Every module specifier a file imports, requires, re-exports or loads with import(). */
export function specifiersOf(file) {
  const code = codeOf(file);
  const found = typescript().preProcessFile(code, true, true).importedFiles.map((f) => f.fileName);
  // require.resolve('x') names a module too; the pre-processor does not report it.
  for (const m of code.matchAll(/\brequire\.resolve\(\s*(['"])([^'"]+)\1\s*\)/g)) found.push(m[2]);
  return [...new Set(found)];
}

function resolveRelative(fromFile, spec) {
  const base = path.resolve(path.dirname(fromFile), spec);
  const candidates = RESOLVE_SUFFIXES.map((s) => base + s);
  // TypeScript's ESM convention: `./x.js` written for a `./x.ts` source.
  if (/\.m?js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts'));
  return { target: base, found: candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile()) };
}

const packageNameOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

/** The cloud module (function or common module) a file belongs to: the nearest folder with a package.json. */
function ownerPackageJson(pkgDir, file) {
  let dir = path.dirname(file);
  while (inside(pkgDir, dir) && dir !== pkgDir) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) return pj;
    dir = path.dirname(dir);
  }
  return undefined;
}

function declaredDeps(packageJsonFile) {
  if (!packageJsonFile) return {};
  return JSON.parse(fs.readFileSync(packageJsonFile, 'utf8')).dependencies ?? {};
}

/** Where a `file:` dependency may point: inside the package, or into a plugin the package depends on. */
function fileDepProblem(pkgDir, pluginDeps, ownerDir, name, value) {
  if (!String(value).startsWith('file:')) return `"${name}": "${value}" is an npm dependency; carry it in the bundle or as a common module`;
  const target = path.resolve(ownerDir, String(value).slice(5));
  if (inside(pkgDir, target)) return fs.existsSync(path.join(target, 'package.json')) ? undefined : `"${name}" points at ${path.relative(pkgDir, target)}, which is not in the package`;
  const modulesDir = path.dirname(pkgDir);
  const rel = path.relative(modulesDir, target).split(path.sep);
  if (rel[0] === '..' || !pluginDeps.includes(rel[0])) return `"${name}" points outside the package at ${path.relative(modulesDir, target)}, not into a plugin listed in uni_modules.dependencies`;
  return undefined;
}

/**
 * Checks the packed folder. Returns what was scanned and every problem as `file: import -> why`.
 * `isCloud(rel)` tells cloud code from client code (default: under uniCloud/, or config.example.js).
 */
export function checkPackageImports(pkgDir, { isCloud = (rel) => rel.startsWith('uniCloud/') || rel === 'config.example.js' } = {}) {
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const pluginDeps = manifest.uni_modules?.dependencies ?? [];
  const problems = [];
  let files = 0;
  let imports = 0;
  const all = walk(pkgDir);
  for (const file of all) {
    const rel = path.relative(pkgDir, file).split(path.sep).join('/');
    if (!SCANNED.test(file)) continue;
    files += 1;
    const cloud = isCloud(rel);
    const deps = cloud ? declaredDeps(ownerPackageJson(pkgDir, file)) : {};
    for (const spec of specifiersOf(file)) {
      imports += 1;
      const say = (why) => problems.push(`${rel}: '${spec}' ${why}`);
      if (spec.startsWith('.')) {
        const { target, found } = resolveRelative(file, spec);
        if (!inside(pkgDir, target)) say('leaves the package');
        else if (!found) say('does not resolve to a file in the package');
        continue;
      }
      if (spec.startsWith('/') || spec.startsWith('@/') || spec.startsWith('~')) {
        say('is an absolute or project alias path; use a relative one');
        continue;
      }
      const name = packageNameOf(spec);
      if (!cloud) {
        if (!CLIENT_BARE_ALLOWED.includes(name)) say(`is an npm module a uni-app project does not have (allowed: ${CLIENT_BARE_ALLOWED.join(', ')})`);
        continue;
      }
      if (spec.startsWith('node:') || BUILTINS.has(name)) continue;
      if (!Object.prototype.hasOwnProperty.call(deps, name)) say('is not a file: dependency of its cloud module');
    }
  }
  // The file: dependencies themselves, in every cloud module's package.json.
  for (const file of all.filter((f) => path.basename(f) === 'package.json' && f !== path.join(pkgDir, 'package.json'))) {
    for (const [name, value] of Object.entries(declaredDeps(file))) {
      const why = fileDepProblem(pkgDir, pluginDeps, path.dirname(file), name, value);
      if (why) problems.push(`${path.relative(pkgDir, file).split(path.sep).join('/')}: ${why}`);
    }
  }
  return { files, imports, problems };
}

/**
 * `require('vk-pay-core')`, `require('uni-config-center')`, ... from cloud-function code, resolved as uniCloud
 * resolves them: a common module is reachable from a function only when the function's package.json declares
 * it as a `file:` dependency (uniCloud installs exactly those into the function), and from a common module
 * when that module declares it. Anything else resolves as Node would.
 */
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { CLOUDFUNCTIONS_DIR, COMMON_MODULES_DIR } from '../paths';

type ResolveFilename = (request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]) => string;
const ModuleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

function packageNameOf(request: string): string {
  return request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
}

/** Declared `file:` dependencies of the package folder that owns `file` (a function or a common module). */
function declaredDeps(ownerDir: string): Set<string> {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(ownerDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    return new Set(Object.entries(pkg.dependencies ?? {}).filter(([, v]) => String(v).startsWith('file:')).map(([k]) => k));
  } catch {
    return new Set();
  }
}

/** `<cloudfunctions>/<fn>/...` -> `<cloudfunctions>/<fn>`; `<cloudfunctions>/common/<m>/...` -> that module. */
function ownerDirOf(file: string): string | undefined {
  const rel = path.relative(CLOUDFUNCTIONS_DIR, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  if (parts[0] === 'common') return parts.length > 2 ? path.join(COMMON_MODULES_DIR, parts[1]) : undefined;
  return parts.length > 1 ? path.join(CLOUDFUNCTIONS_DIR, parts[0]) : undefined;
}

let installed = false;

export function installCommonModuleResolution(): void {
  if (installed) return;
  installed = true;
  const original = ModuleInternals._resolveFilename;
  ModuleInternals._resolveFilename = function (request, parent, ...rest) {
    const from = parent?.filename;
    if (from && !request.startsWith('.') && !path.isAbsolute(request) && !request.startsWith('node:')) {
      const owner = ownerDirOf(from);
      const name = packageNameOf(request);
      const moduleDir = path.join(COMMON_MODULES_DIR, name);
      if (owner && fs.existsSync(path.join(moduleDir, 'package.json'))) {
        if (!declaredDeps(owner).has(name)) {
          const err = new Error(`Cannot find module '${request}': ${path.basename(owner)}/package.json does not declare "${name}": "file:..." (uniCloud installs only declared common modules)`) as Error & { code: string };
          err.code = 'MODULE_NOT_FOUND';
          throw err;
        }
        return original.call(this, moduleDir + request.slice(name.length), parent, ...rest);
      }
    }
    return original.call(this, request, parent, ...rest);
  };
}

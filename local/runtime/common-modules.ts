/**
 * `require('vk-pay-core')`, `require('uni-config-center')`, ... from cloud-function code, resolved as uniCloud
 * resolves them after an upload: a function (or a common module) reaches another common module only through a
 * `file:` dependency in its own package.json, and that path is what gets installed, so it is followed literally
 * (`file:../common/vk-pay-core`, `file:../../../../uni-config-center/uniCloud/cloudfunctions/common/uni-config-center`).
 * A bare name that is a common module of the project but is not declared is refused, as the upload would lack it.
 *
 * A few modules the host itself provides when the project does not have them (uni-id-common: see
 * `provideModule`), standing where HBuilderX would find the project's own copy.
 */
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { cloudFunctionRoots } from '../paths';

type ResolveFilename = (request: string, parent: { filename?: string | null } | undefined, ...rest: unknown[]) => string;
const ModuleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

function packageNameOf(request: string): string {
  return request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
}

/** Declared `file:` dependencies of a package folder, name -> absolute folder. */
function declaredFileDeps(ownerDir: string): Map<string, string> {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(ownerDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    return new Map(Object.entries(pkg.dependencies ?? {})
      .filter(([, v]) => String(v).startsWith('file:'))
      .map(([k, v]) => [k, path.resolve(ownerDir, String(v).slice(5))]));
  } catch {
    return new Map();
  }
}

/** Projects whose cloud code this process runs (each host registers its own). */
const projects = new Set<string>();
/** Modules the host supplies when a declared dependency's folder is absent: name -> absolute entry file. */
const provided = new Map<string, string>();

/** A common module of the registered projects by name (the first project that has it). */
function projectCommonModule(name: string): string | undefined {
  for (const project of projects) {
    for (const root of cloudFunctionRoots(project)) {
      const dir = path.join(root, 'common', name);
      if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    }
  }
  return undefined;
}

/** True when `file` belongs to a module the host provides (its own requires then see the project's modules). */
function isInsideProvided(file: string): boolean {
  for (const entry of provided.values()) {
    const rel = path.relative(path.dirname(entry), file);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) return true;
  }
  return false;
}

/** `<root>/<fn>/...` -> `<root>/<fn>`; `<root>/common/<m>/...` -> that module; else undefined. */
function ownerDirOf(file: string): string | undefined {
  for (const project of projects) {
    for (const root of cloudFunctionRoots(project)) {
      const rel = path.relative(root, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
      const parts = rel.split(path.sep);
      if (parts[0] === 'common') return parts.length > 2 ? path.join(root, 'common', parts[1]) : undefined;
      return parts.length > 1 ? path.join(root, parts[0]) : undefined;
    }
  }
  return undefined;
}

function isCommonModuleName(name: string): boolean {
  for (const project of projects) {
    for (const root of cloudFunctionRoots(project)) if (fs.existsSync(path.join(root, 'common', name, 'package.json'))) return true;
  }
  return provided.has(name);
}

function notFound(message: string): Error {
  const err = new Error(message) as Error & { code: string };
  err.code = 'MODULE_NOT_FOUND';
  return err;
}

/** Lets the host stand in for a module a project normally installs (only used when the project lacks it). */
export function provideModule(name: string, entryFile: string): void {
  provided.set(name, entryFile);
}

let installed = false;

export function installCommonModuleResolution(projectDir: string): void {
  projects.add(path.resolve(projectDir));
  if (installed) return;
  installed = true;
  const original = ModuleInternals._resolveFilename;
  ModuleInternals._resolveFilename = function (request, parent, ...rest) {
    const from = parent?.filename;
    if (from && !request.startsWith('.') && !path.isAbsolute(request) && !request.startsWith('node:')) {
      const owner = ownerDirOf(from);
      const name = packageNameOf(request);
      if (!owner && isInsideProvided(from)) {
        const dir = projectCommonModule(name);
        if (dir) return original.call(this, dir + request.slice(name.length), parent, ...rest);
      }
      if (owner) {
        const target = declaredFileDeps(owner).get(name);
        if (target) {
          if (fs.existsSync(path.join(target, 'package.json'))) return original.call(this, target + request.slice(name.length), parent, ...rest);
          const stand = provided.get(name);
          if (stand && request === name) return stand;
          throw notFound(`Cannot find module '${request}': ${path.basename(owner)}/package.json points "${name}" at ${target}, which does not exist (install that uni_modules plugin)`);
        }
        if (isCommonModuleName(name)) {
          throw notFound(`Cannot find module '${request}': ${path.basename(owner)}/package.json does not declare "${name}": "file:..." (uniCloud installs only declared common modules)`);
        }
      }
    }
    return original.call(this, request, parent, ...rest);
  };
}

/**
 * The cloud functions of a project, from `uniCloud/cloudfunctions/` and every `uni_modules/<plugin>/uniCloud/cloudfunctions/`
 * as HBuilderX lists them: discovered from their package.json, loaded from their built files (`index.obj.js` for
 * a cloud object, `index.js` otherwise) as uniCloud loads them. Two functions of one name are an error, as they
 * would be in one space.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT, cloudFunctionRoots } from '../paths';
import { installCommonModuleResolution } from './common-modules';

export interface TriggerConfig {
  name: string;
  type: string;
  config: string;
}

export interface CloudFunctionConfig {
  timeout?: number;
  memorySize?: number;
  path?: string;
  triggers?: TriggerConfig[];
}

export type CloudObjectExports = Record<string, unknown>;
export type FunctionMain = (event: unknown, context: Record<string, unknown>) => unknown;

export interface LoadedFunction {
  name: string;
  dir: string;
  kind: 'object' | 'function';
  config: CloudFunctionConfig;
  /** cloud object: the exported object; function: `exports.main` */
  object?: CloudObjectExports;
  main?: FunctionMain;
}

export function discoverFunctionDirs(projectDir: string = REPO_ROOT): string[] {
  const dirs: string[] = [];
  const seen = new Map<string, string>();
  for (const root of cloudFunctionRoots(projectDir)) {
    for (const d of fs.readdirSync(root, { withFileTypes: true })) {
      if (!d.isDirectory() || d.name === 'common' || !fs.existsSync(path.join(root, d.name, 'package.json'))) continue;
      const dir = path.join(root, d.name);
      const twin = seen.get(d.name);
      if (twin) throw new Error(`two cloud functions named ${d.name}: ${twin} and ${dir}`);
      seen.set(d.name, dir);
      dirs.push(dir);
    }
  }
  return dirs.sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
}

/** Forget previously loaded cloud code, so this host gets its own module instances (fresh config, fresh state). */
function clearCloudModuleCache(projectDir: string): void {
  const req = createRequire(__filename);
  const roots = cloudFunctionRoots(projectDir);
  for (const key of Object.keys(req.cache)) if (roots.some((root) => key.startsWith(root + path.sep))) delete req.cache[key];
}

export function loadFunctions(projectDir: string = REPO_ROOT): Map<string, LoadedFunction> {
  installCommonModuleResolution(projectDir);
  clearCloudModuleCache(projectDir);
  const out = new Map<string, LoadedFunction>();
  for (const dir of discoverFunctionDirs(projectDir)) {
    const name = path.basename(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { 'cloudfunction-config'?: CloudFunctionConfig };
    const config = pkg['cloudfunction-config'] ?? {};
    const req = createRequire(path.join(dir, 'package.json'));
    const objFile = path.join(dir, 'index.obj.js');
    if (fs.existsSync(objFile)) {
      const object = req(objFile) as CloudObjectExports;
      out.set(name, { name, dir, kind: 'object', config, object });
    } else {
      const mod = req(path.join(dir, 'index.js')) as { main?: FunctionMain };
      if (typeof mod.main !== 'function') throw new Error(`cloud function ${name}: index.js does not export main`);
      out.set(name, { name, dir, kind: 'function', config, main: mod.main });
    }
  }
  return out;
}

/** The function whose URL path (`cloudfunction-config.path`) is a prefix of `urlPath`, with the rest of the path. */
export function routeByPath(functions: Map<string, LoadedFunction>, urlPath: string): { fn: LoadedFunction; rest: string } | undefined {
  let best: { fn: LoadedFunction; rest: string } | undefined;
  for (const fn of functions.values()) {
    const base = fn.config.path?.replace(/\/+$/, '');
    if (!base) continue;
    if (urlPath === base || urlPath.startsWith(base + '/')) {
      if (!best || base.length > (best.fn.config.path ?? '').length) best = { fn, rest: urlPath.slice(base.length) || '/' };
    }
  }
  return best;
}

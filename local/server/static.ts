/** `GET /`: the H5 build (`npm run build:h5` -> dist/build/h5), with index.html for unknown paths (SPA routes). */
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.ico': 'image/x-icon', '.woff': 'font/woff',
  '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.map': 'application/json; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
};

export function serveStatic(root: string, req: http.IncomingMessage, res: http.ServerResponse, urlPath: string): void {
  const index = path.join(root, 'index.html');
  if (!fs.existsSync(index)) {
    const text = 'The H5 app is not built yet: run `npm run build:h5` (npm start does it for you).\n';
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
    return;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    decoded = '/';
  }
  const target = path.resolve(root, '.' + path.posix.normalize(decoded));
  const inside = target === root || target.startsWith(root + path.sep);
  let file = inside && fs.existsSync(target) && fs.statSync(target).isFile() ? target : index;
  if (!inside) file = index;
  const data = fs.readFileSync(file);
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const cache = file === index ? 'no-cache' : 'public, max-age=3600';
  res.writeHead(200, { 'content-type': type, 'content-length': data.length, 'cache-control': cache });
  res.end(req.method === 'HEAD' ? undefined : data);
}

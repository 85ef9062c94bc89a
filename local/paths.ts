/** Where things are, relative to the repository root (the folder holding package.json). */
import path from 'node:path';

// `__dirname`: this package is CommonJS (no "type" in package.json), which is how tsx runs these files for
// `npm start`; vitest provides `__dirname` too.
export const REPO_ROOT = path.resolve(__dirname, '..');
export const CLOUDFUNCTIONS_DIR = path.join(REPO_ROOT, 'uniCloud', 'cloudfunctions');
export const COMMON_MODULES_DIR = path.join(CLOUDFUNCTIONS_DIR, 'common');
export const CORE_DIR = path.join(COMMON_MODULES_DIR, 'vk-pay-core');
export const CORE_BUNDLE = path.join(CORE_DIR, 'index.js');
export const DATABASE_DIR = path.join(REPO_ROOT, 'uniCloud', 'database');
export const H5_DIST_DIR = path.join(REPO_ROOT, 'dist', 'build', 'h5');

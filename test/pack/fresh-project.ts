/**
 * A fresh uni-app project with the packed plugin installed the way the README's "Install into your project" says:
 * its own manifest.json, pages.json, main.js, App.vue and index.html, one page using `<vk-pay>` with no import,
 * `uni_modules/vk-pay` from `npm run pack`, and beside it the uni-config-center a user installs from the market
 * (here the repository's compatible module) holding a vk-pay config and a uni-id config for the local sandbox.
 * uni-id-common is not installed: the local host stands in for it, as it does for any project without it.
 *
 * Builds run the real toolchain as HBuilderX runs it for a project without a vite.config: the project is both the
 * input and the vite root (so it resolves nothing from this repository's node_modules but what uni-app provides),
 * with uni-app's plugin as the only configuration (uni-vite.config.ts).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const CONFIG_CENTER = path.join(ROOT, 'uni_modules', 'uni-config-center');
const VITE_CONFIG = path.join(__dirname, 'uni-vite.config.ts');

export interface Packed {
  /** dist/uni_modules/vk-pay of the pack */
  dir: string;
  zipFile: string;
  zipBytes: number;
  stdout: string;
  ms: number;
}

/** `npm run pack` into `outDir` (after building the cloud bundle when it is missing or stale, as a developer would). */
export function runPack(outDir: string): Packed {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cloud.mjs'), '--if-stale'], { cwd: ROOT, stdio: 'pipe' });
  const started = Date.now();
  const stdout = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'pack.mjs'), '--out', outDir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Date.now() - started;
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const zipFile = path.join(outDir, `vk-pay-${version}.zip`);
  return { dir: path.join(outDir, 'uni_modules', 'vk-pay'), zipFile, zipBytes: fs.statSync(zipFile).size, stdout, ms };
}

const PAGE = `<template>
  <view class="shop">
    <text class="shop__title">Top up 充值 ¥1.00</text>
    <vk-pay provider="wxpay" pay-type="native" type="recharge" :amount="100" lang="zh" label="Pay 支付" @success="onPaid" @fail="onFail" />
    <text v-if="paidNo" class="shop__paid">paid {{ paidNo }}</text>
    <text v-if="failure" class="shop__failed">failed {{ failure }}</text>
  </view>
</template>

<script>
export default {
  data() {
    return { paidNo: '', failure: '' };
  },
  methods: {
    onPaid(result) {
      this.paidNo = result.out_trade_no;
    },
    onFail(f) {
      this.failure = f.msg;
    },
  },
};
</script>
`;

const FILES: Record<string, string> = {
  'manifest.json': JSON.stringify({
    name: 'fresh-shop',
    appid: '',
    description: 'a fresh uni-app project that installs vk-pay from its package',
    versionName: '1.0.0',
    versionCode: '100',
    vueVersion: '3',
    locale: 'zh-Hans',
    h5: { title: 'fresh-shop', router: { mode: 'hash', base: '/' } },
    'mp-weixin': { appid: '', setting: { urlCheck: false }, usingComponents: true },
  }, null, 2),
  'pages.json': JSON.stringify({ pages: [{ path: 'pages/index/index', style: { navigationBarTitleText: 'Shop' } }], globalStyle: { navigationBarTitleText: 'Shop' } }, null, 2),
  'main.js': "import { createSSRApp } from 'vue';\nimport App from './App.vue';\n\nexport function createApp() {\n  const app = createSSRApp(App);\n  return { app };\n}\n",
  'App.vue': '<script>\nexport default {\n  onLaunch() {},\n};\n</script>\n',
  'index.html': '<!DOCTYPE html>\n<html lang="zh-CN">\n  <head>\n    <meta charset="UTF-8" />\n    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n    <title>fresh-shop</title>\n    <!--preload-links-->\n    <!--app-context-->\n  </head>\n  <body>\n    <div id="app"><!--app-html--></div>\n    <script type="module" src="/main.js"></script>\n  </body>\n</html>\n',
  'pages/index/index.vue': PAGE,
};

/** Makes the project in a new temporary folder and installs the packed plugin into it. */
export function makeFreshProject(packedDir: string): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-fresh-'));
  for (const [rel, text] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
    fs.writeFileSync(path.join(project, rel), text);
  }
  // 1. the package into uni_modules/ (what unzipping vk-pay-<version>.zip there gives)
  fs.cpSync(packedDir, path.join(project, 'uni_modules', 'vk-pay'), { recursive: true });
  // 2. uni-config-center beside it, with the sandbox's vk-pay config and uni-id config (module and configs only)
  const ccSrc = path.join(CONFIG_CENTER, 'uniCloud', 'cloudfunctions', 'common', 'uni-config-center');
  const ccDest = path.join(project, 'uni_modules', 'uni-config-center', 'uniCloud', 'cloudfunctions', 'common', 'uni-config-center');
  fs.mkdirSync(ccDest, { recursive: true });
  for (const f of ['index.js', 'package.json', 'vk-pay/config.js', 'uni-id/config.js']) {
    fs.mkdirSync(path.dirname(path.join(ccDest, f)), { recursive: true });
    fs.copyFileSync(path.join(ccSrc, f), path.join(ccDest, f));
  }
  return project;
}

/** The environment of a build: this process's, without what vitest sets (NODE_ENV=test would change the build). */
function buildEnv(project: string, outDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'NODE_ENV' && !k.startsWith('VITEST') && !k.startsWith('VKPAY_')) env[k] = v;
  return { ...env, UNI_INPUT_DIR: project, VITE_ROOT_DIR: project, UNI_OUTPUT_DIR: outDir };
}

export interface Built {
  outDir: string;
  ms: number;
  log: string;
}

/** `uni build -p <platform>` of the project into its own unpackage/dist/build/<platform>. */
export function buildProject(project: string, platform: 'h5' | 'mp-weixin'): Promise<Built> {
  const outDir = path.join(project, 'unpackage', 'dist', 'build', platform);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(path.join(ROOT, 'node_modules', '.bin', 'uni'), ['build', '-p', platform, '-c', VITE_CONFIG], {
      cwd: ROOT,
      env: buildEnv(project, outDir),
      maxBuffer: 16 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const log = `${stdout}\n${stderr}`;
      if (err) reject(new Error(`uni build -p ${platform} of the fresh project failed:\n${log}`));
      else resolve({ outDir, ms: Date.now() - started, log });
    });
  });
}

/** Every file under a folder, as relative paths with forward slashes. */
export function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const childRel = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), childRel));
    else out.push(childRel);
  }
  return out.sort();
}

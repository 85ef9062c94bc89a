/**
 * The plugin as a user gets it. `npm run pack` writes the uni_modules plugin and its zip; a fresh uni-app project
 * (test/pack/fresh-project.ts) installs it with nothing else from this repository but the uni-config-center a user
 * installs from the market, uses `<vk-pay>` with no import, builds for H5 and mp-weixin with the real toolchain,
 * and the local host runs that project's cloud functions (from its uni_modules, as HBuilderX does) so it pays
 * through the sandbox. The pack's refusals (stale or missing bundle, an import leaving the package) and its
 * indifference to a dirty tree are checked on copies of the plugin.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../../local/host';
import { ROOT, buildProject, listFiles, makeFreshProject, runPack, type Built, type Packed } from './fresh-project';

const temps: string[] = [];
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
};
const started = Date.now();
let packed: Packed;
let project: string;
/** the fresh project's two builds, started as soon as the package exists and awaited where they are checked */
let builds: Promise<[Built, Built]>;

beforeAll(() => {
  packed = runPack(tempDir('vkpay-pack-'));
  console.log(`pack: ${packed.zipBytes} bytes zip (${(packed.zipBytes / 1024).toFixed(1)} KB), ${listFiles(packed.dir).length} files, ${packed.ms} ms`);
  project = makeFreshProject(packed.dir);
  temps.push(project);
  // Side by side, and while the pack's own tests run: a build waits on the disk about half its time (measured on
  // two cores: 21 s for both together against 45 s one after the other).
  builds = Promise.all([buildProject(project, 'h5'), buildProject(project, 'mp-weixin')]);
  builds.catch(() => {}); // reported where it is awaited
}, 120_000);

afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
  console.log(`fresh-project tests: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

describe('npm run pack', () => {
  it('writes the plugin folder with the market files, the component, the cloud code with its bundle, the database files, and no sources', () => {
    const files = listFiles(packed.dir);
    for (const f of [
      'package.json', 'readme.md', 'changelog.md', 'LICENSE', 'config.example.js',
      'components/vk-pay/vk-pay.vue',
      'uniCloud/cloudfunctions/vk-pay-co/index.obj.js', 'uniCloud/cloudfunctions/vk-pay-co/package.json',
      'uniCloud/cloudfunctions/vk-pay-notify/index.js', 'uniCloud/cloudfunctions/vk-pay-sync/index.js',
      'uniCloud/cloudfunctions/common/vk-pay-core/index.js', 'uniCloud/cloudfunctions/common/vk-pay-core/package.json',
      'uniCloud/cloudfunctions/common/vk-pay-hooks/index.js',
      'uniCloud/database/payment_orders.schema.json', 'uniCloud/database/payment_orders.index.json',
    ]) expect(files, f).toContain(f);
    expect(files.filter((f) => f.includes('vk-pay-core/src/') || /\.(map|tmp)$|\.test\./.test(f))).toEqual([]);

    const pkg = JSON.parse(fs.readFileSync(path.join(packed.dir, 'package.json'), 'utf8'));
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ id: 'vk-pay', version: root.version, engines: { HBuilderX: expect.any(String) } });
    expect(pkg.uni_modules.dependencies).toEqual(expect.arrayContaining(['uni-config-center', 'uni-id-common']));
    expect(pkg.dcloudext).toMatchObject({ type: expect.any(String), declaration: { ads: expect.any(String), data: expect.any(String), permissions: expect.any(String) } });
    expect(fs.readFileSync(path.join(packed.dir, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(root.license).toBe('MIT');
    // the bundle is the one build:cloud wrote, byte for byte
    expect(fs.readFileSync(path.join(packed.dir, 'uniCloud/cloudfunctions/common/vk-pay-core/index.js')))
      .toEqual(fs.readFileSync(path.join(ROOT, 'uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/index.js')));
    expect(packed.stdout).toMatch(/import check passed: \d+ imports in \d+ files resolve inside the package/);
  });

  it('zips exactly that folder as vk-pay/..., for unzipping into uni_modules/', () => {
    const listing = execFileSync('unzip', ['-Z1', packed.zipFile], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(listing).toEqual(listFiles(packed.dir).map((f) => `vk-pay/${f}`));
    expect(packed.zipBytes).toBeGreaterThan(50_000);
  });
});

describe('npm run pack refuses, with the reason', () => {
  let root: string;
  const PLUGIN = 'uni_modules/vk-pay';
  const BUNDLE = `${PLUGIN}/uniCloud/cloudfunctions/common/vk-pay-core/index.js`;
  const pack = (...extra: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'pack.mjs'), '--root', root, ...extra], { encoding: 'utf8' });

  beforeAll(() => {
    // a checkout holding only what the pack reads: the root package.json and the plugin (bundle mtime kept)
    root = tempDir('vkpay-packroot-');
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
    fs.cpSync(path.join(ROOT, PLUGIN), path.join(root, PLUGIN), { recursive: true, preserveTimestamps: true });
  });

  it('when the cloud bundle is older than its sources, or missing; and packs nothing', () => {
    const bundle = path.join(root, BUNDLE);
    const built = fs.statSync(bundle).mtime;
    fs.utimesSync(bundle, new Date(0), new Date(0));
    const stale = pack();
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/cloud bundle .*index\.js is older than its sources.*npm run build:cloud/);
    const kept = fs.readFileSync(bundle);
    fs.rmSync(bundle);
    const missing = pack();
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cloud bundle .*index\.js is missing: run npm run build:cloud/);
    expect(fs.existsSync(path.join(root, 'dist'))).toBe(false);
    fs.writeFileSync(bundle, kept);
    fs.utimesSync(bundle, built, built);
  });

  it('when an import in the package would not resolve inside it', () => {
    const extra = path.join(root, PLUGIN, 'components', 'vk-pay', 'leaky.ts');
    fs.writeFileSync(extra, [
      "import { x } from '../../../../local/host';",
      "import type { Y } from '../../uniCloud/cloudfunctions/common/vk-pay-core/src/index';",
      "import lodash from 'lodash';",
      "// import('./only-in-a-comment') is not an import",
      'export const z = [x, lodash] as unknown as Y;',
    ].join('\n'));
    try {
      const r = pack();
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("components/vk-pay/leaky.ts: '../../../../local/host' leaves the package");
      expect(r.stderr).toContain("components/vk-pay/leaky.ts: '../../uniCloud/cloudfunctions/common/vk-pay-core/src/index' does not resolve to a file in the package");
      expect(r.stderr).toContain("components/vk-pay/leaky.ts: 'lodash' is an npm module a uni-app project does not have");
      expect(r.stderr).not.toContain('only-in-a-comment');
      expect(fs.existsSync(path.join(root, 'dist', 'uni_modules', 'vk-pay'))).toBe(false);
    } finally {
      fs.rmSync(extra);
    }
  });

  it('when a market file disagrees with the root package.json', () => {
    const rootPkg = path.join(root, 'package.json');
    const original = fs.readFileSync(rootPkg, 'utf8');
    fs.writeFileSync(rootPkg, original.replace(/"version": "[^"]+"/, '"version": "9.9.9"'));
    try {
      const r = pack();
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/package\.json version .* differs from the root package\.json's 9\.9\.9/);
      expect(r.stderr).toContain('changelog.md has no "## 9.9.9" entry');
    } finally {
      fs.writeFileSync(rootPkg, original);
    }
  });

  it('but a dirty tree still packs, and says so', () => {
    const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'packed checkout');
    fs.appendFileSync(path.join(root, PLUGIN, 'readme.md'), '\nlocal note\n');
    const r = pack();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/from commit [0-9a-f]+ with 1 uncommitted change\(s\) \(dirty tree\)/);
    expect(fs.readFileSync(path.join(root, 'dist', 'uni_modules', 'vk-pay', 'readme.md'), 'utf8')).toContain('local note');
  });
});

describe('a fresh uni-app project with the package in its uni_modules', () => {
  let h5: Built;
  let mp: Built;

  beforeAll(async () => {
    [h5, mp] = await builds;
    console.log(`fresh project builds: h5 ${h5.ms} ms, mp-weixin ${mp.ms} ms (side by side)`);
  }, 240_000);

  it('finds <vk-pay> by easycom: the page imports nothing', () => {
    const page = fs.readFileSync(path.join(project, 'pages/index/index.vue'), 'utf8');
    expect(page).toContain('<vk-pay ');
    expect(page).not.toMatch(/\bimport\b/);
    expect(fs.existsSync(path.join(project, 'node_modules'))).toBe(false);
  });

  it('builds for mp-weixin with the component under uni_modules/vk-pay/components/vk-pay, used by the page', () => {
    const dir = path.join(mp.outDir, 'uni_modules/vk-pay/components/vk-pay');
    for (const ext of ['wxml', 'js', 'json', 'wxss']) expect(fs.existsSync(path.join(dir, `vk-pay.${ext}`)), `vk-pay.${ext}`).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'vk-pay.json'), 'utf8'))).toMatchObject({ component: true });
    expect(fs.readFileSync(path.join(dir, 'vk-pay.wxml'), 'utf8')).toContain('vk-pay__button');
    const page = JSON.parse(fs.readFileSync(path.join(mp.outDir, 'pages/index/index.json'), 'utf8'));
    expect(page.usingComponents).toEqual({ 'vk-pay': '../../uni_modules/vk-pay/components/vk-pay/vk-pay' });
    expect(fs.readFileSync(path.join(mp.outDir, 'pages/index/index.wxml'), 'utf8')).toMatch(/<vk-pay\b/);
  });

  it('builds for H5 with the component in the bundle', () => {
    expect(fs.readFileSync(path.join(h5.outDir, 'index.html'), 'utf8')).toContain('<title>fresh-shop</title>');
    const js = listFiles(path.join(h5.outDir, 'assets')).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(h5.outDir, 'assets', f), 'utf8')).join('\n');
    for (const cls of ['vk-pay__button', 'vk-pay__qr', 'shop__paid']) expect(js, cls).toContain(cls);
    expect(js).toContain('/http/vk-pay-co/');
  });

  describe('on the local host, which runs the project\'s own cloud functions', () => {
    let home: string;
    let host: Host;
    beforeAll(async () => {
      home = tempDir('vkpay-fresh-home-');
      host = await startHost({ port: 0, home, quiet: true, timers: false, projectDir: project, h5Dir: h5.outDir });
    }, 60_000);
    afterAll(async () => {
      await host?.close();
    });

    const post = async (p: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(host.url + p, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
      return { status: res.status, json: (await res.json()) as any };
    };

    it('serves the project\'s H5 build', async () => {
      const res = await fetch(`${host.url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<title>fresh-shop</title>');
    });

    it('pays through the sandbox: login -> createPayment -> pay -> notification -> queryPayment paid, hook once', async () => {
      const login = await post('/__dev/login', { uid: 'fresh-user' });
      expect(login.status).toBe(200);
      const auth = { 'uni-id-token': login.json.token as string };
      const created = await post('/http/vk-pay-co/createPayment', { provider: 'wxpay', pay_type: 'native', type: 'recharge', amount: 100 }, auth);
      expect(created.json).toMatchObject({ errCode: 0, code: 0, data: { amount: 100, out_trade_no: expect.any(String) } });
      const no: string = created.json.data.out_trade_no;
      expect(created.json.data.payment).toMatchObject({ kind: 'code_url' });

      const paid = await post('/sandbox/control/pay', { channel: 'wxpay', out_trade_no: no, outcome: 'success' });
      expect(paid.status).toBe(200);
      // the sandbox notifies vk-pay-notify of the project, and that notification turns the order paid (watched in
      // the database: queryPayment on a pending order may ask the provider itself)
      const order = async () => (await host.db.collection('payment_orders').where({ out_trade_no: no }).get()).data[0] as any;
      await expect.poll(async () => (await order()).status, { timeout: 15_000 }).toBe('paid');
      expect(await order()).toMatchObject({ user_id: 'fresh-user', status: 'paid' });
      expect((await order()).history.filter((h: any) => h.event === 'pay')).toEqual([expect.objectContaining({ source: 'notify' })]);
      // the raw notification is written beside the order's move, not before it: the ack waits for both, this read may not
      await expect.poll(async () => (await host.db.collection('payment_notifications').where({ out_trade_no: no }).get()).data.length, { timeout: 15_000 }).toBeGreaterThan(0);
      const query = await post('/http/vk-pay-co/queryPayment', { out_trade_no: no }, auth);
      expect(query.json).toMatchObject({ errCode: 0, code: 0, data: { out_trade_no: no, status: 'paid', amount: 100 } });
      // the package's own recharge hook (uni_modules/vk-pay/.../vk-pay-hooks/recharge.js of the project) credited once
      await expect.poll(async () => ((await host.db.collection('vk_pay_points').where({ user_id: 'fresh-user' }).get()).data[0] as any)?.points, { timeout: 15_000 }).toBe(100);
    }, 60_000);
  });
});

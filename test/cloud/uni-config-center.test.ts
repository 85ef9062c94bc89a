/**
 * uni-config-center, as uploaded: the file is copied into a temporary common-module folder with plugin folders
 * beside it, and used through DCloud's API.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SOURCE = path.resolve(__dirname, '../../uni_modules/uni-config-center/uniCloud/cloudfunctions/common/uni-config-center/index.js');
let dir: string;
type Cfg = { config(p?: string, d?: unknown): any; resolve(f: string): string; requireFile(f: string): any; hasFile(f: string): boolean };
let createConfig: (o: { pluginId: string; defaultConfig?: unknown; customMerge?: (a: any, b: any) => any }) => Cfg;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucc-'));
  const center = path.join(dir, 'uni-config-center');
  fs.mkdirSync(path.join(center, 'json-plugin'), { recursive: true });
  fs.mkdirSync(path.join(center, 'js-plugin'), { recursive: true });
  fs.mkdirSync(path.join(center, 'bad-plugin'), { recursive: true });
  fs.copyFileSync(SOURCE, path.join(center, 'index.js'));
  fs.writeFileSync(path.join(center, 'json-plugin', 'config.json'), JSON.stringify({ tokenExpiresIn: 7200, service: { sms: { codeExpiresIn: 300 } }, list: [1, 2] }));
  fs.writeFileSync(path.join(center, 'json-plugin', 'helper.js'), 'module.exports = { answer: 42 };');
  fs.writeFileSync(path.join(center, 'js-plugin', 'config.js'), 'module.exports = { env: "sandbox", nested: { a: 1 } };');
  fs.writeFileSync(path.join(center, 'bad-plugin', 'config.json'), '{ not json');
  createConfig = createRequire(path.join(dir, 'x.js'))(path.join(center, 'index.js'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('uni-config-center', () => {
  it('reads <pluginId>/config.json and answers dotted paths with fallbacks', () => {
    const cfg = createConfig({ pluginId: 'json-plugin' });
    expect(cfg.config()).toEqual({ tokenExpiresIn: 7200, service: { sms: { codeExpiresIn: 300 } }, list: [1, 2] });
    expect(cfg.config('service.sms.codeExpiresIn')).toBe(300);
    expect(cfg.config('tokenExpiresThreshold', 600)).toBe(600);
    expect(cfg.config('service.missing.deep')).toBeUndefined();
  });

  it('reads <pluginId>/config.js when there is no config.json', () => {
    expect(createConfig({ pluginId: 'js-plugin' }).config('env')).toBe('sandbox');
  });

  it('deep-merges defaults under the user config (arrays replaced), or uses customMerge', () => {
    const merged = createConfig({ pluginId: 'json-plugin', defaultConfig: { tokenExpiresIn: 1, tokenExpiresThreshold: 600, service: { sms: { a: 1 } }, list: [9, 9, 9] } });
    expect(merged.config()).toEqual({ tokenExpiresIn: 7200, tokenExpiresThreshold: 600, service: { sms: { a: 1, codeExpiresIn: 300 } }, list: [1, 2] });
    const custom = createConfig({ pluginId: 'json-plugin', defaultConfig: { x: 1 }, customMerge: (d, u) => ({ d, u: Object.keys(u) }) });
    expect(custom.config()).toEqual({ d: { x: 1 }, u: ['tokenExpiresIn', 'service', 'list'] });
  });

  it('answers an empty object for a plugin without a folder, and names a broken config.json', () => {
    expect(createConfig({ pluginId: 'absent' }).config()).toEqual({});
    expect(() => createConfig({ pluginId: 'bad-plugin' }).config()).toThrow(/bad-plugin.*config\.json is not valid JSON/);
  });

  it('resolve / hasFile / requireFile stay inside the plugin folder', () => {
    const cfg = createConfig({ pluginId: 'json-plugin' });
    expect(cfg.resolve('helper.js')).toBe(path.join(dir, 'uni-config-center', 'json-plugin', 'helper.js'));
    expect(cfg.hasFile('helper.js')).toBe(true);
    expect(cfg.hasFile('nope.js')).toBe(false);
    expect(cfg.requireFile('helper.js')).toEqual({ answer: 42 });
    expect(cfg.requireFile('nope.js')).toBeUndefined();
    expect(() => cfg.resolve('../js-plugin/config.js')).toThrow(/outside/);
    expect(() => createConfig({ pluginId: '../etc' })).toThrow(/invalid pluginId/);
  });
});

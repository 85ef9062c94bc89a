// A configuration center for uniCloud plugins with the API of DCloud's uni-config-center:
//   const createConfig = require('uni-config-center')
//   const cfg = createConfig({ pluginId, defaultConfig, customMerge })
//   cfg.config() / cfg.config('a.b.c', fallback) / cfg.resolve(file) / cfg.requireFile(file) / cfg.hasFile(file)
// Each plugin's files live in the folder named after its pluginId next to this file. The plugin's config is
// `<pluginId>/config.json`, or `<pluginId>/config.js` (module.exports = {...}) when there is no config.json.
// A project that already has DCloud's module keeps it; this one exists so vk-pay runs without it.
'use strict';
const fs = require('fs');
const path = require('path');

function isPlainObject(v) {
  return Object.prototype.toString.call(v) === '[object Object]';
}

// Default merge: nested plain objects merge key by key, everything else (arrays included) is replaced.
function deepMerge(base, override) {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out = Object.assign({}, base);
  for (const key of Object.keys(override)) out[key] = deepMerge(base[key], override[key]);
  return out;
}

function getPath(obj, keyPath) {
  const keys = String(keyPath).split('.').filter(Boolean);
  let cur = obj;
  for (const key of keys) {
    if (cur === null || cur === undefined || !Object.prototype.hasOwnProperty.call(Object(cur), key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function readPluginConfig(dir) {
  const jsonFile = path.join(dir, 'config.json');
  if (fs.existsSync(jsonFile)) {
    const text = fs.readFileSync(jsonFile, 'utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new Error(`uni-config-center: ${jsonFile} is not valid JSON: ${err.message}`);
    }
  }
  const jsFile = path.join(dir, 'config.js');
  if (fs.existsSync(jsFile)) return require(jsFile);
  return undefined;
}

class ConfigCenter {
  constructor(options) {
    if (!options || typeof options.pluginId !== 'string' || !options.pluginId) {
      throw new Error('uni-config-center: createConfig needs a pluginId');
    }
    if (options.pluginId.includes('..') || path.isAbsolute(options.pluginId)) {
      throw new Error(`uni-config-center: invalid pluginId ${options.pluginId}`);
    }
    this.pluginId = options.pluginId;
    this.defaultConfig = options.defaultConfig;
    this.customMerge = options.customMerge;
    this.baseDir = options.baseDir || __dirname;
    this.pluginDir = path.join(this.baseDir, this.pluginId);
    this._config = undefined;
    this._loaded = false;
  }

  _load() {
    if (this._loaded) return this._config;
    const user = readPluginConfig(this.pluginDir);
    const defaults = this.defaultConfig;
    if (typeof this.customMerge === 'function') {
      this._config = this.customMerge(defaults === undefined ? {} : defaults, user === undefined ? {} : user);
    } else if (user === undefined) {
      this._config = defaults === undefined ? {} : defaults;
    } else if (defaults === undefined) {
      this._config = user;
    } else {
      this._config = deepMerge(defaults, user);
    }
    this._loaded = true;
    return this._config;
  }

  /** The whole config, or the value at a dotted path (`fallback` when it is missing). */
  config(keyPath, fallback) {
    const all = this._load();
    if (keyPath === undefined || keyPath === null || keyPath === '') return all;
    const value = getPath(all, keyPath);
    return value === undefined ? fallback : value;
  }

  /** Absolute path of a file in this plugin's folder. */
  resolve(file) {
    const target = path.resolve(this.pluginDir, String(file));
    if (target !== this.pluginDir && !target.startsWith(this.pluginDir + path.sep)) {
      throw new Error(`uni-config-center: ${file} is outside the ${this.pluginId} folder`);
    }
    return target;
  }

  hasFile(file) {
    return fs.existsSync(this.resolve(file));
  }

  /** require() a file of this plugin's folder; undefined when it does not exist (errors inside it propagate). */
  requireFile(file) {
    const target = this.resolve(file);
    if (!fs.existsSync(target)) return undefined;
    return require(target);
  }
}

function createConfig(options) {
  return new ConfigCenter(options);
}

module.exports = createConfig;
module.exports.createConfig = createConfig;
module.exports.ConfigCenter = ConfigCenter;

/**
 * Services created on first use. uniCloud requires a cloud object's method names when the module loads, but
 * building the real services reads the config and opens the database: doing that at load would make a bad
 * config crash the function before it can answer, and would touch `uniCloud.database()` outside any call.
 * With the names known up front, creation waits for the first call, and a creation error becomes that call's
 * error (an envelope from `_after`, a retry-triggering reply from notify).
 */
import type { CoreServices } from './services';

export function lazyServices(methodNames: readonly string[], create: () => CoreServices): CoreServices {
  let created: CoreServices | undefined;
  const get = (): CoreServices => (created ??= create());
  const methods: CoreServices['methods'] = {};
  for (const name of methodNames) {
    methods[name] = async (params, req) => {
      const method = get().methods[name];
      if (typeof method !== 'function') throw new Error(`the core has no method ${name}`);
      return method(params, req);
    };
  }
  return {
    methods,
    notify: async (channel, req) => get().notify(channel, req),
    runTimer: async (trigger) => get().runTimer(trigger),
  };
}

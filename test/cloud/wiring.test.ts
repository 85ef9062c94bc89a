/**
 * The bundle entry wires the real core: the method names the cloud object announces at load time are exactly
 * the methods createCoreServices provides (a name missing here would be unreachable; an extra one would 404).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOUD_METHOD_NAMES } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/index';
import { startHarness, type Harness } from '../core/support/harness';

describe('bundle entry wiring', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('announces exactly the methods the core provides, none private', () => {
    expect([...CLOUD_METHOD_NAMES].sort()).toEqual(Object.keys(h.core.methods).sort());
    expect(CLOUD_METHOD_NAMES.some((n) => n.startsWith('_'))).toBe(false);
  });
});

/** The `providers.appleiap` section that points the provider at this sandbox (tests and the local host). */
import type { AppleSandboxCredentials } from './credentials';

export function appleiapSandboxSection(base: string, c: AppleSandboxCredentials) {
  const root = `${base.replace(/\/+$/, '')}/sandbox/appleiap`;
  return {
    bundleId: c.bundleId,
    // the sandbox plays both hosts: production answers as Apple's does for a sandbox purchase (21007, 4040010)
    environments: ['Production', 'Sandbox'] as Array<'Production' | 'Sandbox'>,
    rootCertificates: [c.pki.rootPem],
    serverApi: { issuerId: c.serverApi.issuerId, keyId: c.serverApi.keyId, privateKeyPem: c.serverApi.privateKeyPem, baseUrl: `${root}/`, sandboxBaseUrl: `${root}/sandbox/` },
    receipt: { sharedSecret: c.sharedSecret, url: `${root}/verifyReceipt`, sandboxUrl: `${root}/sandbox/verifyReceipt` },
  };
}

import type { Transport } from '../transport.ts';
import type { Health, KeyringStatus, SealStatus, Unseal } from '../types.ts';

/** Seal state, unsealing and the keyring. */
export function sysApi(t: Transport) {
  return {
    /** Liveness, and whether the server is sealed or uninitialised (no credential needed). */
    health(): Promise<Health> {
      return t.json({ method: 'GET', path: '/health', auth: 'public' });
    },
    /** Seal state and unseal progress (no credential needed). */
    sealStatus(): Promise<SealStatus> {
      return t.json({ method: 'GET', path: '/api/v1/sys/seal-status', auth: 'public' });
    },
    /**
     * Enters one Shamir share (`{ share }`), or discards the shares entered so far
     * (`{ reset: true, nonce }`). The answer to the first share of an unseal carries `nonce`: only
     * with it can that progress be reset. The server unseals when the threshold is reached; a wrong
     * combination resets the progress.
     */
    unseal(input: Unseal): Promise<SealStatus> {
      return t.json({ method: 'POST', path: '/api/v1/sys/unseal', body: input, auth: 'public' });
    },
    /** Seals the server now: every key leaves its memory, data routes answer 503 `sys.sealed`. */
    seal(): Promise<SealStatus> {
      return t.json({ method: 'POST', path: '/api/v1/sys/seal' });
    },
    /** Adds a new key term for new writes and re-encrypts old data in the background. */
    rotateKey(): Promise<KeyringStatus> {
      return t.json({ method: 'POST', path: '/api/v1/sys/rotate-key' });
    },
    /** Key terms and re-encryption progress. */
    keyring(): Promise<KeyringStatus> {
      return t.json({ method: 'GET', path: '/api/v1/sys/keyring' });
    },
  };
}

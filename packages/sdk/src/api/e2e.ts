import { seg, type Transport } from '../transport.ts';
import type { OpenpgpKey, Readers, SecretMessage, ServerOpenpgpKey } from '../types.ts';

/**
 * OpenPGP keys and the messages of end-to-end encrypted secrets, as the server sees them (ADR 0022).
 * `e2e.ts` (`createE2e`) does the client-side work over these calls: encrypt, decrypt, share.
 */
export function openpgpApi(t: Transport) {
  return {
    /** The server's public key and fingerprint (no credential needed). */
    serverKey(): Promise<ServerOpenpgpKey> {
      return t.json({ method: 'GET', path: '/api/v1/sys/openpgp-key', auth: 'public' });
    },
    /** Registers or replaces your public key; its user id must carry your e-mail address. */
    register(armoredKey: string): Promise<OpenpgpKey> {
      return t.json({ method: 'PUT', path: '/api/v1/me/openpgp-key', body: { armoredKey } });
    },
    /** Your registered public key. */
    mine(): Promise<OpenpgpKey> {
      return t.json({ method: 'GET', path: '/api/v1/me/openpgp-key' });
    },
    /** Another active user's public key, by exact username. */
    keyOf(username: string): Promise<OpenpgpKey> {
      return t.json({ method: 'GET', path: '/api/v1/users/openpgp-key', query: { username } });
    },
    /** Who must hold a message of an E2E secret, with their keys (`edit`). */
    readers(secretId: string): Promise<Readers> {
      return t.json({ method: 'GET', path: `/api/v1/secrets/${seg(secretId)}/readers` });
    },
    /** The readers a new secret in this E2E vault (or its folder) will have (`edit` there). */
    nodeReaders(vaultId: string, folderId?: string): Promise<Readers> {
      return t.json({ method: 'GET', path: `/api/v1/vaults/${seg(vaultId)}/readers`, query: folderId ? { folderId } : {} });
    },
    /** Adds or replaces readers' messages of the same value (`edit`). */
    putMessages(secretId: string, messages: SecretMessage[]): Promise<Readers> {
      return t.json({ method: 'PUT', path: `/api/v1/secrets/${seg(secretId)}/messages`, body: { messages } });
    },
  };
}

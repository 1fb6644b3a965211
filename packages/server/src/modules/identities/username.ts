/**
 * The one key for uniqueness and for the lockout counter: NFKC, trimmed, lower-cased. `Admin`,
 * ` admin ` and full-width `ａｄｍｉｎ` are the same account (Vault CVE-2025-6004).
 */
export function canonicalUsername(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}

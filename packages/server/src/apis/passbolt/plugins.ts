// The Passbolt plugins this adapter announces in /settings.json (`passbolt.plugins`): ONLY what is
// implemented. Clients switch features on by this list (go-passbolt's IsPluginEnabled, the browser
// extension), so a plugin named here must work end to end. A route file that implements one adds
// its entry here (one line); `metadata` (v5 encrypted metadata) is deliberately absent.

export interface PluginEntry {
  /** Shown before login too (what a client needs to sign in); else only to a signed-in user. */
  public: boolean;
  version?: string;
}

export const plugins: Record<string, PluginEntry> = {
  // auth/jwt/*.json (jwt.routes.ts)
  jwtAuthentication: { public: true, version: '1.0.0' },
  // mfa/verify/totp.json (mfa.routes.ts): TOTP only
  mfa: { public: false, version: '1.0.0' },
  // folders.json, folders/{id}.json, move/folder|resource/{id}.json (folders.ts)
  folders: { public: false, version: '1.0.0' },
  // resource-types.json (resource-types.ts): password-string, password-and-description, TOTP ones
  resourceTypes: { public: false, version: '1.0.0' },
};

/** `{name: {enabled: true, version}}` for the caller (public ones only before login). */
export function announcedPlugins(signedIn: boolean): Record<string, { enabled: true; version?: string }> {
  const out: Record<string, { enabled: true; version?: string }> = {};
  for (const [name, p] of Object.entries(plugins)) {
    if (signedIn || p.public) out[name] = { enabled: true, ...(p.version ? { version: p.version } : {}) };
  }
  return out;
}

// Paths that carry a credential because the product's API puts it there (Passwork: the API key in
// `POST /api/v4/auth/login/{apiKey}`, the tokens in `POST /api/v4/auth/refreshToken/{token}/{refreshToken}`;
// Passbolt: the setup token in `GET /passbolt/setup/install/{userId}/{token}.json`).
// The request log writes the path (never the query string): these segments never reach it.

const CREDENTIAL_PATHS: RegExp[] = [
  /^(\/+api\/v4\/+auth\/+login\/+)[^/?#]*/i,
  /^(\/+api\/v4\/+auth\/+refreshToken\/+)[^?#]*/i,
  /^(\/+passbolt\/+setup\/+install\/+[^/?#]*\/+)[^?#]*/i,
];

/** The path with any credential segment replaced by `[redacted]`. */
export function redactPath(path: string): string {
  for (const re of CREDENTIAL_PATHS) if (re.test(path)) return path.replace(re, '$1[redacted]');
  return path;
}

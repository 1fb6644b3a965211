// The request paths (headers and body fields) pino censors before a log line is written; the
// list is checked against every route's body by log-redaction.test.ts.

/** Paths (header and body fields) that never reach a log line. */
export const logRedactPaths: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'body.password',
  'body.currentPassword',
  'body.newPassword',
  'body.share',
  'body.refreshToken',
  'body.code',
  'body.totpCode',
  'body.recoveryCode',
  'body.passphrase',
  // unseal nonce, passwords inside admin requests, secret values (a secret's fields and custom
  // fields, bulk items, an import file), webhook URLs (often with a token in them); the list is
  // checked against every route's body by log-redaction.test.ts
  'body.nonce',
  'body.operation.password',
  'body.operation.user.password',
  'body.fields',
  'body.customFields[*].value',
  'body.items[*].fields',
  'body.items[*].customFields[*].value',
  'body.content',
  // the senhasegura OAuth2 client secret (an API key) and a credential's additional information
  'body.client_secret',
  'body.additional',
  'body.url',
  // Secret Server: the refresh token, item values (any key case), PATCH general's values, a field's
  // new value, the two-factor code header
  'body.refresh_token',
  'body.items[*].itemValue',
  'body.Items[*].ItemValue',
  'body.data.secretFields[*].value',
  'body.Data.SecretFields[*].Value',
  // E2E vaults: a user's OpenPGP key as registered (public, but key material stays out of logs) and
  // the per-reader messages of a secret's value (ciphertext: no reason to keep it in a log)
  'body.armoredKey',
  'body.messages[*].message',
  'body.value',
  'body.fileAttachment',
  'body.NewPassword',
  'req.headers.otp',
  // Passwork: its token header, a password's values (base64 or client-encrypted), its files, a
  // vault's encrypted key, the JS connector's snapshot (the whole password)
  'req.headers["passwork-auth"]',
  'headers["passwork-auth"]',
  'body.cryptedPassword',
  'body.cryptedKey',
  'body.custom[*].value',
  'body.attachments[*].encryptedData',
  'body.attachments[*].encryptedKey',
  'body.encryptedData',
  'body.encryptedKey',
  'body.passwordCrypted',
  'body.mpCrypted',
  'body.snapshot',
  // Passbolt: GPGAuth's nonces (JSON spellings: pino cannot name a form's `data[gpg_auth][...]`
  // key), the JWT login's challenge, the TOTP code, the CSRF token header (cookies: the Cookie header)
  'body.gpg_auth.user_token_result',
  'body.gpg_auth.server_verify_token',
  'body.data.gpg_auth.user_token_result',
  'body.data.gpg_auth.server_verify_token',
  'body.challenge',
  'body.totp',
  'req.headers["x-csrf-token"]',
  // Passbolt: the setup token, the key a new user registers, a share's per-reader messages
  'body.authenticationtoken.token',
  'body.gpgkey.armored_key',
  'body.secrets[*].data',
];

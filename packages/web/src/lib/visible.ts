// What of the server's text reaches the screen. Names, reasons, comments, descriptions, audit
// fields come from other people and from the database: a bidi override could reverse what is shown
// (Trojan Source), a control character could hide or fake text. New text with those characters is
// refused by the server (contracts/text.ts), but text stored before that rule, or reaching Coffer
// through another path, is shown with each such character as a visible `\uXXXX` — the same set the
// CLI escapes (packages/cli/src/terminal.ts); a test keeps the three in step.
//
// Applied once, where every answer enters the UI (lib/api.ts uiFetch), so no screen can forget it.
// Secret values the user asks for on purpose (a reveal, a version's reveal, an export) are left
// exact: a password is copied as it is.

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// in a JSON text: the raw characters JSON does not escape, or an escape of a C0 control (newline
// and tab excepted). A false alarm (an escaped backslash before `u0001`) only costs a parse.
const JSON_MAY_HOLD_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\\u00[01][0-9a-fA-F]|\\[bfr]/;

/** Text with every unsafe character shown as `\uXXXX` (newline and tab kept). */
export const visibleText = (s: string): string =>
  s.replace(UNSAFE, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);

/** A JSON value with every string (keys too) made visible. */
export function visibleDeep(v: unknown): unknown {
  if (typeof v === 'string') return visibleText(v);
  if (Array.isArray(v)) return v.map(visibleDeep);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[visibleText(k)] = visibleDeep(x);
  return out;
}

/** The answers that carry values asked for on purpose: left exact. */
const VALUE_ROUTES = [
  /\/api\/v1\/secrets\/[^/]+\/reveal$/,
  /\/api\/v1\/secrets\/[^/]+\/history\/[^/]+\/reveal$/,
  /\/api\/v1\/export$/,
  /\/api\/v1\/audit\/export$/,
];

/**
 * The answer as the screens may show it: a JSON answer (success or error) of any route but the
 * value routes with its unsafe characters made visible; anything else as it came.
 */
export async function visibleAnswer(url: string, res: Response): Promise<Response> {
  const path = new URL(url, 'http://ui.invalid').pathname;
  if (res.body === null || res.status === 204 || VALUE_ROUTES.some((r) => r.test(path))) return res;
  if (!/^application\/json\b/i.test(res.headers.get('content-type') ?? '')) return res;
  const text = await res.text();
  let out = text;
  if (JSON_MAY_HOLD_UNSAFE.test(text)) {
    try {
      out = JSON.stringify(visibleDeep(JSON.parse(text)));
    } catch {
      // not JSON after all: the caller's parse reports it
    }
  }
  return new Response(out, { status: res.status, statusText: res.statusText, headers: res.headers });
}

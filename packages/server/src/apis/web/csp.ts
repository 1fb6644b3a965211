// The Content-Security-Policy of every answer of the UI (ADR 0017): scripts and style sheets from
// this origin only, nothing inline but the one exact <style> text React Aria injects on iOS,
// allowed by its SHA-256 hash (a hash allows that text and nothing else; no nonce to leak, no
// 'unsafe-inline').
import { createHash } from 'node:crypto';

/**
 * The <style> React Aria's usePreventScroll adds to <head> on iOS while a dialog is open (it must
 * exist before the first touch, and only then: a stylesheet rule cannot do it), byte for byte.
 * (usePress's own <style> is never injected: index.html has the marker element it looks for, and
 * base.css has its rule.) `packages/web/test/inline-styles.test.ts` compares this text with the
 * installed library, so an upgrade that changes it fails a test instead of a screen.
 */
export const ALLOWED_INLINE_STYLES: readonly string[] = ['@layer {\n  * {\n    overscroll-behavior: contain;\n  }\n}'];

/** `'sha256-…'` of a <style> element's text, as CSP matches it. */
export function styleHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The contract's policy: no inline script, no inline style but the hashed ones, nothing from elsewhere, no framing. */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' ${ALLOWED_INLINE_STYLES.map(styleHash).join(' ')}`,
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

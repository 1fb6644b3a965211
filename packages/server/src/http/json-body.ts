import { AppError } from '../lib/app-error.ts';

export const MAX_JSON_DEPTH = 32;

/** Nesting depth of a JSON text, counted without parsing (so a hostile depth never reaches JSON.parse). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

function hasPoisonKey(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasPoisonKey);
  for (const k of Object.keys(v)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return true;
    if (hasPoisonKey((v as Record<string, unknown>)[k])) return true;
  }
  return false;
}

/** True when a key or string anywhere in the value holds a NUL character (PostgreSQL text cannot store it). */
export function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(hasNul);
  for (const [k, x] of Object.entries(v)) if (k.includes('\u0000') || hasNul(x)) return true;
  return false;
}

/** Parses a request body: bounded depth, no prototype-pollution keys, no NUL characters. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return undefined;
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new AppError('request.invalid_json', `JSON nesting deeper than ${MAX_JSON_DEPTH} is refused.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('request.invalid_json', 'The body is not valid JSON.');
  }
  if (hasPoisonKey(value)) throw new AppError('request.invalid_json', 'Keys named __proto__, constructor or prototype are refused.');
  if (hasNul(value)) throw new AppError('validation.failed', 'Text with NUL characters is refused.');
  return value;
}

import { AppError } from '../../lib/app-error.ts';

/**
 * JSON.parse of an uploaded file, its syntax errors as 400. V8's parser does not recurse, so a
 * deeply nested file cannot exhaust the stack; callers read known shapes only, and never copy
 * keys onto objects (no prototype pollution).
 */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw new AppError('validation.failed', `The ${what} file is not valid JSON.`, {
      details: [{ path: '/content', message: 'invalid JSON' }],
    });
  }
}

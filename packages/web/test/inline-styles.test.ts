// The <style> text the UI's CSP allows by hash (apis/web/csp.ts) is exactly the one the installed
// React Aria injects on iOS, read from the library's own file; and usePress still skips its own
// <style> when index.html's marker element exists. An upgrade that changes either fails here
// instead of on a screen (the browser would refuse the style).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ALLOWED_INLINE_STYLES, UI_CSP } from '../../server/src/apis/web/csp.ts';

const webRoot = path.join(import.meta.dirname, '..');
const require = createRequire(path.join(webRoot, 'package.json'));
const privateDir = path.join(path.dirname(require.resolve('react-aria/package.json')), 'dist', 'private');
const read = (file: string) => readFileSync(path.join(privateDir, file), 'utf8');

describe('inline styles and the CSP', () => {
  it("the allowed text is usePreventScroll's, byte for byte", () => {
    const src = read(path.join('overlays', 'usePreventScroll.mjs'));
    const texts = [...src.matchAll(/style\.textContent = `([^`$]*)`\.trim\(\)/g)].map((m) => m[1]!.trim());
    assert.deepEqual(texts, [...ALLOWED_INLINE_STYLES]);
  });

  it("usePress injects nothing while index.html has its marker, and base.css has the marker's rule", () => {
    const src = read(path.join('interactions', 'usePress.mjs'));
    const id = /\$STYLE_ID = '([^']+)'/.exec(src)?.[1];
    const attr = /\$PRESSABLE_ATTRIBUTE = '([^']+)'/.exec(src)?.[1];
    assert.ok(id && attr, 'usePress names its style element and its attribute');
    assert.match(src, /getElementById\(\$[0-9a-f]+\$var\$STYLE_ID\)\) return;/, 'usePress returns early when the element exists');
    assert.ok(readFileSync(path.join(webRoot, 'index.html'), 'utf8').includes(`id="${id}"`), 'index.html has the marker');
    const css = readFileSync(path.join(webRoot, 'src', 'styles', 'base.css'), 'utf8');
    assert.match(css, new RegExp(`\\[${attr}\\]\\s*\\{\\s*touch-action: pan-x pan-y pinch-zoom;`));
  });

  it('the style is allowed by its hash only: no unsafe-inline, no nonce, no inline script', () => {
    const style = UI_CSP.split('; ').find((d) => d.startsWith('style-src '))!;
    assert.equal(style.split(' ').length, 2 + ALLOWED_INLINE_STYLES.length);
    for (const d of UI_CSP.split('; ')) assert.doesNotMatch(d, /unsafe-|nonce-/);
    assert.ok(UI_CSP.includes("script-src 'self';"));
  });
});

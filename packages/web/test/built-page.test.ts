// The built page obeys the strict CSP by construction (no inline script, style or handler: every
// script and style sheet is a file of the build), and the README shows the UI and says how to open
// it, with a screenshot that exists.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ensureBuilt, repoRoot } from '../e2e/helpers.ts';

describe('the built page and the README', () => {
  it('index.html has no inline script, style or event handler; its scripts and styles are built files', () => {
    const dist = ensureBuilt();
    // comments do not run (and index.html explains the marker element in one)
    const html = readFileSync(path.join(dist, 'index.html'), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length >= 1, 'the page loads a script');
    for (const [, attrs, body] of scripts) {
      assert.match(attrs!, /\bsrc="\/assets\/[^"]+\.js"/, `a script without a built src: ${attrs}`);
      assert.equal(body!.trim(), '', 'a script element with inline code');
    }
    assert.doesNotMatch(html, /<style\b/i, 'an inline <style>');
    assert.doesNotMatch(html, /\sstyle=/i, 'a style attribute');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'an inline event handler');
    assert.doesNotMatch(html, /javascript:/i);
    for (const [, href] of html.matchAll(/<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"/g))
      assert.match(href!, /^\/assets\/[^/]+\.css$/, 'a style sheet from elsewhere');
  });

  it('the README shows a screenshot of the UI (a PNG that exists) and says how to open it', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The web UI'));
    assert.ok(readme.includes('## The web UI'), 'a web UI section');
    const img = /!\[[^\]]+\]\(([^)]+\.png)\)/.exec(section)?.[1];
    assert.ok(img, 'a screenshot in the section');
    const png = readFileSync(path.join(repoRoot, img));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.ok(png.length > 20_000, `a real screenshot (${png.length} bytes)`);
    assert.match(section.slice(0, 1500), /npm start[\s\S]*open \*\*http:\/\/localhost:7300\/\*\*/, 'how to open it');
  });

  it('the browser tests poll the page through page.evaluate, never waitForFunction (the CSP refuses its eval)', () => {
    // a string predicate given to waitForFunction is compiled inside the page; the page's CSP (no
    // unsafe-eval) refused it in two fresh-clone runs. helpers.ts waitInPage polls from outside.
    const dir = path.join(repoRoot, 'packages', 'web', 'e2e');
    const users = readdirSync(dir).filter((f) => f.endsWith('.ts') && /\.waitForFunction\(/.test(readFileSync(path.join(dir, f), 'utf8')));
    assert.deepEqual(users, []);
  });
});

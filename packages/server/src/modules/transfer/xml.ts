import { AppError } from '../../lib/app-error.ts';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own character data (text and CDATA), entities decoded, not trimmed. */
  text: string;
}

export const MAX_XML_DEPTH = 256;

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const SPACE = /[ \t\n]*/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function lineOf(text: string, at: number): number {
  let line = 1;
  for (let k = text.indexOf('\n'); k >= 0 && k < at; k = text.indexOf('\n', k + 1)) line++;
  return line;
}

function validCodePoint(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/**
 * A small, non-validating XML parser for trusted shapes from untrusted files. It refuses any
 * document type declaration or entity declaration (no external entities, no entity expansion:
 * XXE and "billion laughs" cannot happen); only the five predefined entities and numeric
 * character references are decoded. Iterative (no recursion), nesting bounded by MAX_XML_DEPTH.
 * Namespaces are not interpreted (a prefixed name is just a name). Errors name the line, never
 * the content.
 */
export function parseXml(input: string): XmlElement {
  // XML end-of-line handling: CRLF and lone CR become LF (character references keep a CR)
  const text = (input.charCodeAt(0) === 0xfeff ? input.slice(1) : input).replace(/\r\n?/g, '\n');
  const fail = (at: number, message: string): never => {
    const m = `${message} (line ${lineOf(text, at)})`;
    throw new AppError('validation.failed', `Invalid XML: ${m}.`, { details: [{ path: '/content', message: m }] });
  };

  const decode = (s: string, at: number): string => {
    if (!s.includes('&')) return s;
    let out = '';
    let last = 0;
    for (let amp = s.indexOf('&'); amp >= 0; amp = s.indexOf('&', last)) {
      const semi = s.indexOf(';', amp);
      if (semi < 0 || semi - amp > 12) fail(at, 'an "&" that does not start an entity reference');
      const ref = s.slice(amp + 1, semi);
      let rep: string | undefined;
      if (ref.startsWith('#')) {
        const cp = /^#x[0-9a-fA-F]{1,6}$/.test(ref)
          ? Number.parseInt(ref.slice(2), 16)
          : /^#[0-9]{1,7}$/.test(ref)
            ? Number(ref.slice(1))
            : -1;
        if (!validCodePoint(cp)) fail(at, 'an invalid character reference');
        rep = String.fromCodePoint(cp);
      } else {
        rep = PREDEFINED[ref];
        if (rep === undefined) fail(at, 'an entity other than the five predefined ones');
      }
      out += s.slice(last, amp) + rep;
      last = semi + 1;
    }
    return out + s.slice(last);
  };

  const name = (at: number): string => {
    NAME.lastIndex = at;
    const m = NAME.exec(text);
    if (!m) return fail(at, 'a malformed tag name');
    return m[0];
  };
  const skipSpace = (at: number): number => {
    SPACE.lastIndex = at;
    SPACE.exec(text);
    return SPACE.lastIndex;
  };

  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    if (end > i) {
      const chunk = text.slice(i, end);
      const top = stack.at(-1);
      if (top) top.text += decode(chunk, i);
      else if (chunk.trim() !== '') fail(i, 'text outside the root element');
    }
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const close = text.indexOf('?>', i + 2);
      if (close < 0) fail(i, 'an unterminated processing instruction');
      i = close + 2;
    } else if (text.startsWith('<!--', i)) {
      const close = text.indexOf('-->', i + 4);
      if (close < 0) fail(i, 'an unterminated comment');
      i = close + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const close = text.indexOf(']]>', i + 9);
      if (close < 0) fail(i, 'an unterminated CDATA section');
      const top = stack.at(-1);
      if (!top) fail(i, 'CDATA outside the root element');
      (top as XmlElement).text += text.slice(i + 9, close);
      i = close + 3;
    } else if (text.startsWith('<!', i)) {
      // <!DOCTYPE, <!ENTITY, <!ELEMENT, ...: never processed
      fail(i, 'document type and entity declarations are refused');
    } else if (text.startsWith('</', i)) {
      const tag = name(i + 2);
      const j = skipSpace(i + 2 + tag.length);
      if (text.charCodeAt(j) !== 62) fail(i, 'a malformed end tag');
      const open = stack.pop();
      if (!open || open.name !== tag) fail(i, 'an end tag that does not match its start tag');
      if (stack.length === 0) root = open as XmlElement;
      i = j + 1;
    } else {
      if (stack.length === 0 && root) fail(i, 'more than one root element');
      const tag = name(i + 1);
      const el: XmlElement = { name: tag, attrs: Object.create(null) as Record<string, string>, children: [], text: '' };
      let j = i + 1 + tag.length;
      let selfClosing = false;
      for (;;) {
        const k = skipSpace(j);
        const c = text.charCodeAt(k);
        if (c === 62) {
          j = k + 1;
          break;
        }
        if (c === 47 && text.charCodeAt(k + 1) === 62) {
          selfClosing = true;
          j = k + 2;
          break;
        }
        if (k === j) fail(k, 'a malformed start tag');
        const attr = name(k);
        let p = skipSpace(k + attr.length);
        if (text.charCodeAt(p) !== 61) fail(p, 'an attribute without a value');
        p = skipSpace(p + 1);
        const quote = text[p];
        if (quote !== '"' && quote !== "'") fail(p, 'an unquoted attribute value');
        const close = text.indexOf(quote as string, p + 1);
        if (close < 0) fail(p, 'an unterminated attribute value');
        const raw = text.slice(p + 1, close);
        if (raw.includes('<')) fail(p, 'a "<" in an attribute value');
        if (Object.hasOwn(el.attrs, attr)) fail(k, 'a repeated attribute');
        el.attrs[attr] = decode(raw, p);
        j = close + 1;
      }
      const parent = stack.at(-1);
      if (parent) parent.children.push(el);
      if (selfClosing) {
        if (!parent) root = el;
      } else {
        if (stack.length >= MAX_XML_DEPTH) fail(i, `elements nested deeper than ${MAX_XML_DEPTH}`);
        stack.push(el);
      }
      i = j;
    }
  }
  if (stack.length > 0) fail(n, 'an element that is never closed');
  if (!root) return fail(0, 'no root element');
  return root;
}

/** Direct children named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The first direct child named `name`. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/**
 * The call bodies the timeline shows are HTML the connector wrote, with the vendors' text escaped in it. They are
 * still passed through this allow-list before `innerHTML`: only p, br, ul, ol, li, b, strong, i, em and a (with an
 * https href, its only attribute) are kept; any other element is dropped with what it holds if it can run or style
 * (script, style, svg, …), else replaced by its text. Parsing happens in an inert document (DOMParser): nothing in
 * the input runs or loads.
 */
const KEPT = new Set(['P', 'BR', 'UL', 'OL', 'LI', 'B', 'STRONG', 'I', 'EM', 'A']);
const DROPPED_WHOLE = new Set([
  'SCRIPT',
  'STYLE',
  'TEMPLATE',
  'NOSCRIPT',
  'IFRAME',
  'OBJECT',
  'EMBED',
  'SVG',
  'MATH',
  'TITLE',
  'TEXTAREA',
  'SELECT',
  'HEAD',
]);

/** The most nesting followed; deeper content is dropped (a hostile body cannot blow the stack). */
const MAX_DEPTH = 64;

export function safeHref(href: string | null): string | null {
  if (href === null) return null;
  try {
    const url = new URL(href.trim());
    return url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function copy(from: Node, to: Node, target: Document, depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const child of Array.from(from.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE) {
      to.appendChild(target.createTextNode(child.textContent ?? ''));
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      const element = child as Element;
      const tag = element.tagName.toUpperCase();
      if (DROPPED_WHOLE.has(tag)) continue;
      if (KEPT.has(tag)) {
        const kept = target.createElement(tag.toLowerCase());
        if (tag === 'A') {
          const href = safeHref(element.getAttribute('href'));
          if (href !== null) kept.setAttribute('href', href);
        }
        copy(element, kept, target, depth + 1);
        to.appendChild(kept);
      } else {
        copy(element, to, target, depth + 1);
      }
    }
    // Comments, processing instructions and the rest are dropped.
  }
}

export function sanitizeHtml(html: string): string {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  // Built in a second inert document too: the page's own document never holds the unchecked nodes.
  const target = document.implementation.createHTMLDocument('');
  const out = target.createElement('div');
  copy(parsed.body, out, target, 0);
  return out.innerHTML;
}

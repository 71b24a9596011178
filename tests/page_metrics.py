"""Reader-facing measurements of a rendered page, shared by the page tests and tools/measure_pages.py.

``measure(page)`` runs one script in the page and returns a dict of findings; each list holds one
short description per offending element, so a failing test names what is wrong and where. Every
collapsed ``<details>`` is opened first, so exercises are measured too, and closed again at the end,
so one loaded page can be measured again at another width. What is measured:

- display math: number overlapping the formula, wrapped lines, wider than the column without a
  scroll box, a scroll box without a visible affordance (edge shadows);
- inline math: a line break inside brackets or between two relation symbols (``:`` ``=``);
- figures: on-screen size of every glyph (``<text>`` or text drawn as paths), private-use glyphs,
  ``<text>`` that depends on the reader's fonts, text contrast against what is behind the figure;
- raw markup (``_ ^ $ \\ ||``) in figure captions and table cells outside typeset math; numbers in
  tables: alignment, hyphen-minus, ``e-05`` notation, printed arrays; float noise in page text;
- tables and the page wider than the viewport; code: token contrast, wrapped lines, a copy button
  covering code, underlined line numbers; TeX in the table of contents; Korean word breaking.
"""

from __future__ import annotations

import json
import re
from typing import Any

from matplotlib.textpath import TextToPath

#: Figure glyphs drawn as paths are defined at this size (matplotlib's text-to-path em).
GLYPH_EM = TextToPath.FONT_SCALE

METRICS_JS = r"""
(opts) => {
  const R = {};
  const pageText = document.body.innerText;  // what a reader sees before opening anything
  R.height = document.documentElement.scrollHeight;
  R.result_pre_lines = [...document.querySelectorAll('article .tabbed-block:first-of-type pre')]
    .filter(p => p.getClientRects().length > 0 && (!p.checkVisibility || p.checkVisibility())).reduce((s, p) => s + p.textContent.trim().split('\n').length, 0);
  // opened for the measurement and closed again at the end, so that measuring leaves the page as
  // it was (the page tests measure one loaded page at several widths)
  const opened = [...document.querySelectorAll('details')].filter(d => !d.open);
  opened.forEach(d => { d.open = true; });
  // the page at rest: Chromium restyles the content of a closed <details> only once it is shown,
  // so a palette switched while it was closed reaches it now, through the theme's colour transitions
  document.getAnimations().forEach(a => a.finish());
  const root = document.querySelector('article') || document.body;
  const vw = document.documentElement.clientWidth;
  // rendered: not display:none, and not inside a closed <details> (whose content Chromium skips
  // with content-visibility, so it still has boxes)
  const visible = el => el.getClientRects().length > 0 && (!el.checkVisibility || el.checkVisibility());
  const overlap = (a, b, tol) => a.left < b.right - tol && b.left < a.right - tol && a.top < b.bottom - tol && b.top < a.bottom - tol;
  const clip = (r, c) => c ? {left: Math.max(r.left, c.left), right: Math.min(r.right, c.right),
                               top: Math.max(r.top, c.top), bottom: Math.min(r.bottom, c.bottom)} : r;
  const scroller = el => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      if (/(auto|scroll)/.test(getComputedStyle(e).overflowX)) return e;
    }
    return null;
  };
  const tex = el => ((el.querySelector('annotation') || {}).textContent || el.textContent).trim().replace(/\s+/g, ' ').slice(0, 60);
  const where = el => { const h = el.closest('[id]'); return h ? '#' + h.id : ''; };
  const bases = html => [...html.children].filter(e => e.classList.contains('katex-base'));
  // every top-level base of a formula, also inside our no-break groups
  const allBases = html => [...html.querySelectorAll('.katex-base')].filter(b => !b.parentElement.closest('.katex-base'));

  // ---- display math
  const displays = [...root.querySelectorAll('.katex-display')].filter(visible);
  R.displays = displays.length;
  R.number_overlap = []; R.display_wrapped = []; R.display_unboxed = []; R.display_no_affordance = [];
  R.display_scrolling = 0;
  for (const d of displays) {
    const html = d.querySelector('.katex-html');
    const bs = allBases(html);
    for (let i = 1; i < bs.length; i++) {
      const a = bs[i - 1].getBoundingClientRect(), b = bs[i].getBoundingClientRect();
      if (b.left < a.right - 1 && b.top >= a.top + 2) { R.display_wrapped.push(tex(d)); break; }
    }
    const box = scroller(d);
    const boxRect = box ? box.getBoundingClientRect() : null;
    const holder = d.closest('.genmath-math') || d;
    const number = d.querySelector('.katex-tag') || holder.querySelector('.genmath-eqno');
    if (number) {
      const n = number.getBoundingClientRect();
      for (const b of bs) {
        const r = clip(b.getBoundingClientRect(), boxRect);
        if (r.right > r.left && overlap(r, n, 0.5)) { R.number_overlap.push(tex(d)); break; }
      }
    }
    if (box && box.scrollWidth > box.clientWidth + 1) {
      R.display_scrolling++;
      const cs = getComputedStyle(box);
      if (!(/gradient/.test(cs.backgroundImage) && /local/.test(cs.backgroundAttachment))) R.display_no_affordance.push(tex(d));
    } else if (!box) {
      const r = html.getBoundingClientRect(), c = root.getBoundingClientRect();
      if (html.scrollWidth > d.clientWidth + 1 || r.right > c.right + 1) R.display_unboxed.push(tex(d));
    }
  }

  // ---- inline math: breaks inside brackets or between two relations
  const inline = [...root.querySelectorAll('.katex')].filter(k => !k.closest('.katex-display') && visible(k));
  R.inline = inline.length; R.inline_broken = 0; R.inline_bad_break = [];
  const OPEN = /[(\[{⟨⌊⌈]/g, CLOSE = /[)\]}⟩⌋⌉]/g;
  const atoms = b => [...b.children].filter(c => !c.classList.contains('katex-strut') && !c.classList.contains('mspace'));
  for (const k of inline) {
    const html = k.querySelector('.katex-html');
    if (!html) continue;
    const bs = allBases(html);
    let depth = 0, broken = false;
    for (let i = 0; i < bs.length; i++) {
      const text = bs[i].textContent;
      depth += (text.match(OPEN) || []).length - (text.match(CLOSE) || []).length;
      if (i + 1 === bs.length) break;
      const a = bs[i].getBoundingClientRect(), b = bs[i + 1].getBoundingClientRect();
      if (!(b.left < a.left && b.top > a.top + 2)) continue;
      broken = true;
      const last = atoms(bs[i]).pop(), first = atoms(bs[i + 1])[0];
      const relRel = last && first && last.classList.contains('mrel') && first.classList.contains('mrel');
      if (depth > 0 || relRel) R.inline_bad_break.push(tex(k) + ' | after "' + text.trim() + '"');
    }
    if (broken) R.inline_broken++;
  }

  // ---- figures
  R.figures = 0; R.figure_glyphs = 0; R.figure_small_glyphs = 0; R.figure_small = []; R.figure_svg_text = 0;
  R.pua = []; R.figure_low_contrast = []; R.figure_contrast_min = null;
  const parse = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = c => { const ch = c.slice(0, 3).map(x => x / 255).map(x => x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);
                     return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]; };
  const contrast = (f, b) => { const [x, y] = [lum(f), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
    }
    return parse(getComputedStyle(document.body).backgroundColor);
  };
  const PUA = /[\uE000-\uF8FF]/;
  const sizesOf = (svg, scale) => {  // [[px, glyphs], ...] for one SVG document
    const out = [];
    for (const t of svg.querySelectorAll('text')) {
      const walker = document.createTreeWalker(t, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const glyphs = n.textContent.replace(/\s/g, '').length;
        if (!glyphs) continue;
        const el = n.parentElement;
        const size = scale ? parseFloat((el.getAttribute('style') || '').match(/font-size:\s*([\d.]+)/)?.[1]
                                        || (t.getAttribute('style') || '').match(/font-size:\s*([\d.]+)/)?.[1] || '10') * scale
                           : parseFloat(getComputedStyle(el).fontSize) * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b);
        out.push([size, glyphs, n.textContent]);
      }
    }
    for (const g of svg.querySelectorAll('g.gm-text use, g[id^="text_"] use')) {
      const m = scale ? null : g.getScreenCTM();
      if (!m) continue;
      out.push([opts.em * Math.sqrt(Math.abs(m.a * m.d - m.b * m.c)), 1, '']);
    }
    return out;
  };
  const figureSvgs = [...root.querySelectorAll('svg.genmath-svg')].filter(visible);
  const figureImgs = [...root.querySelectorAll('img')].filter(i => (i.getAttribute('src') || '').startsWith('data:image/svg+xml') && visible(i));
  const judge = (name, sizes) => {
    const total = sizes.reduce((s, x) => s + x[1], 0);
    const small = sizes.filter(x => x[0] < 7).reduce((s, x) => s + x[1], 0);
    R.figures++; R.figure_glyphs += total; R.figure_small_glyphs += small;
    if (total && small / total > 0.1) R.figure_small.push(name + ': ' + small + ' of ' + total + ' glyphs < 7 px');
    for (const s of sizes) if (PUA.test(s[2])) R.pua.push(name + ': ' + JSON.stringify(s[2]));
  };
  for (const svg of figureSvgs) {
    const name = (svg.closest('[id]') || {}).id || 'svg';
    R.figure_svg_text += svg.querySelectorAll('text').length;
    judge(name, sizesOf(svg, 0));
    const t = svg.querySelector('g.gm-text, text');
    if (t) {
      const probe = t.querySelector('use, path') || t;
      const c = contrast(parse(getComputedStyle(probe).fill), background(svg));
      if (c < 4.5) R.figure_low_contrast.push(name + ': ' + c.toFixed(2));
      R.figure_contrast_min = Math.min(R.figure_contrast_min ?? Infinity, +c.toFixed(2));
    }
  }
  for (const img of figureImgs) {
    const src = img.getAttribute('src');
    const text = src.includes(';base64,') ? atob(src.split(',')[1]) : decodeURIComponent(src.split(',')[1]);
    const doc = new DOMParser().parseFromString(new TextDecoder().decode(Uint8Array.from(text, c => c.charCodeAt(0))), 'image/svg+xml');
    const svg = doc.documentElement;
    const vb = (svg.getAttribute('viewBox') || '0 0 1 1').split(/\s+/).map(Number);
    R.figure_svg_text += svg.querySelectorAll('text').length;
    judge('img', sizesOf(svg, img.getBoundingClientRect().width / vb[2]));
    const fill = (svg.querySelector('text') || {getAttribute: () => ''}).getAttribute('style') || '';
    const colour = fill.match(/fill:\s*#([0-9a-f]{6})/i);
    if (colour) {
      const c = contrast([0, 2, 4].map(i => parseInt(colour[1].slice(i, i + 2), 16)), background(img));
      if (c < 4.5) R.figure_low_contrast.push('img: ' + c.toFixed(2));
    }
  }
  // page text outside KaTeX (whose own, shipped fonts use a few private-use code points, e.g. for \\not)
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = texts.nextNode(); n; n = texts.nextNode()) {
    if (PUA.test(n.textContent) && !n.parentElement.closest('.katex, svg, script, style')) {
      R.pua.push('page text: ' + JSON.stringify(n.textContent.trim().slice(0, 30)));
    }
  }

  // ---- raw markup in captions and tables, number formats
  const textOutside = el => {
    const c = el.cloneNode(true);
    c.querySelectorAll('.katex, code, .genmath-plain, [hidden]').forEach(x => x.remove());
    return c.textContent.trim().replace(/\s+/g, ' ');
  };
  R.raw_caption = []; R.raw_table = []; R.num_left = []; R.hyphen_minus = []; R.e_notation = []; R.array_cells = [];
  for (const cap of root.querySelectorAll('figcaption, table caption')) {
    const t = textOutside(cap);
    if (/[_^$\\]|\|\|/.test(t)) R.raw_caption.push(t.slice(0, 80));
  }
  const NUM = /^[−\-+]?(\d[\d,]*)?(\.\d+)?([eE][−\-+]?\d+)?( ?× ?10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?( ?± ?[\d.]+([eE][−\-+]?\d+)?)?%?$/;
  for (const cell of root.querySelectorAll('table th, table td')) {
    if (!visible(cell)) continue;
    const t = textOutside(cell);
    if (/[_^$\\]|\|\|/.test(t)) R.raw_table.push(t.slice(0, 60));
    if (/(^|[\s(])-\d/.test(t)) R.hyphen_minus.push(t.slice(0, 40));
    if (/\d[eE][-+−]?\d/.test(t)) R.e_notation.push(t.slice(0, 40));
    if (/\[\s*[-\d.e+]+(\s+[-\d.e+]+)+\s*\]/.test(t)) R.array_cells.push(t.slice(0, 40));
    if (cell.tagName === 'TD' && /\d/.test(t) && NUM.test(t) && !cell.querySelector('.katex')) {
      const a = getComputedStyle(cell).textAlign;
      if (!['right', 'end'].includes(a)) R.num_left.push(t);
    }
  }
  // float noise in the text a reader sees: binary round-off printed (0.30000000000000004,
  // 2.9999999999999996, 0.0009765625000000009), i.e. a long run of 0s or 9s ending in a stray
  // digit, or a shortest-repr float (15 or more significant digits)
  R.float_noise = (pageText.match(/\d+\.\d+/g) || []).filter(n =>
    /(?:0{9,}[1-9]|9{9,}[0-8])\d*$/.test(n) || n.replace('.', '').replace(/^0+/, '').length >= 15);

  // ---- widths
  R.page_overflow = document.documentElement.scrollWidth > vw + 1 ? [document.documentElement.scrollWidth + ' > ' + vw] : [];
  R.table_overflow = [];
  for (const t of root.querySelectorAll('table')) {
    if (!visible(t)) continue;
    const r = t.getBoundingClientRect();
    if (r.right <= vw + 1) continue;
    const box = scroller(t);
    if (!box || box.getBoundingClientRect().right > vw + 1) R.table_overflow.push(textOutside(t.querySelector('tr') || t).slice(0, 40));
  }
  R.glossary_scrolls = [];
  for (const t of root.querySelectorAll('table')) {
    if (!t.querySelector('[lang|="ko"]')) continue;
    const box = scroller(t);
    if (box && box.scrollWidth > box.clientWidth + 1) R.glossary_scrolls.push(box.scrollWidth + ' > ' + box.clientWidth);
    else if (t.getBoundingClientRect().right > vw + 1) R.glossary_scrolls.push('table wider than the page');
  }

  // ---- code
  // What decides a code token's colour: its tag, classes, attribute names and inline style, and those
  // of every element between it and its <pre> (the highlighter's classes, a highlighted line's wrapper).
  // Everything outside the <pre> is the same for all its tokens. opts.every_token computes every
  // token's own colour instead (test_a_page_resized_and_switched_measures_as_a_fresh_load compares them).
  const tokenKind = (el, pre) => {
    let key = '';
    for (let e = el; e && e !== pre; e = e.parentElement) {
      key += '<' + e.tagName + '.' + (e.getAttribute('class') || '') + '[' + e.getAttributeNames().sort().join(',') + ']'
             + (e.getAttribute('style') || '');
    }
    return key;
  };
  R.code_low_contrast = []; R.code_contrast_min = null; R.code_tokens = 0; R.code_wrapped = []; R.linenos_underlined = 0; R.copy_covers_code = [];
  for (const pre of root.querySelectorAll('pre')) {
    const cs = getComputedStyle(pre);
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    const bg = background(pre);
    const seen = new Set();
    // a token's colour, computed once per kind of token in this <pre> (see tokenKind); the first
    // getComputedStyle of an element in a hidden tab restyles it, 0.1 ms each, 1-2 s on a chapter
    const colours = new Map();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent.trim() || seen.has(n.parentElement)) continue;
      seen.add(n.parentElement);
      if (n.parentElement.closest('.linenos, .linenodiv')) continue;
      R.code_tokens++;
      const kind = opts.every_token ? n.parentElement : tokenKind(n.parentElement, pre);
      if (!colours.has(kind)) colours.set(kind, parse(getComputedStyle(n.parentElement).color));
      const c = contrast(colours.get(kind), bg);
      if (c < 4.5) R.code_low_contrast.push(JSON.stringify(n.textContent.trim().slice(0, 12)) + ' ' + c.toFixed(2));
      R.code_contrast_min = Math.min(R.code_contrast_min ?? Infinity, +c.toFixed(2));
    }
    if (pre.closest('.linenodiv') || !visible(pre)) continue;
    const lineHeight = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.4;
    const code = pre.querySelector('code') || pre;
    const source = code.textContent.replace(/\n$/, '').split('\n').length;
    const rendered = Math.round((code.getBoundingClientRect().height - parseFloat(getComputedStyle(code).paddingTop) - parseFloat(getComputedStyle(code).paddingBottom)) / lineHeight);
    if (/pre-wrap|normal|pre-line|break-spaces/.test(cs.whiteSpace) && rendered > source) R.code_wrapped.push(rendered + ' lines for ' + source);
    const button = pre.parentElement.querySelector('.md-code__button, .md-clipboard') || pre.querySelector('.md-code__button, .md-clipboard')
      || (pre.closest('.jp-InputArea') || {querySelector: () => null}).querySelector('clipboard-copy');
    if (button && visible(button)) {
      const first = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
      let node = first.nextNode();
      while (node && !node.textContent.trim()) node = first.nextNode();
      if (node) {
        const range = document.createRange(); range.selectNodeContents(node);
        const rects = [...range.getClientRects()];
        const b = button.getBoundingClientRect();
        if (rects.some(r => overlap(r, b, 1))) R.copy_covers_code.push(node.textContent.trim().slice(0, 20));
      }
    }
  }
  for (const a of root.querySelectorAll('.linenodiv a, .linenos a, a[href^="#__codelineno"]')) {
    if (getComputedStyle(a).textDecorationLine.includes('underline')) R.linenos_underlined++;
  }

  // ---- navigation, table of contents, equation links, Korean
  R.toc_tex = [];
  for (const a of document.querySelectorAll('nav.md-nav--secondary a.md-nav__link')) {
    const t = a.textContent.trim().replace(/\s+/g, ' ');
    if (/\\[a-zA-Z]|[_^{}$]/.test(t) || /(.{3,})\1/.test(t.replace(/\s/g, ''))) R.toc_tex.push(t.slice(0, 80));
  }
  R.eqref_in_file = [...root.querySelectorAll('a[href*="#eq-"]')].map(a => a.textContent.trim()).filter(t => / in [a-z]+\)?$/.test(t));
  R.korean = 0; R.korean_breaks_words = [];
  for (const el of document.querySelectorAll('[lang|="ko"]')) {
    if (el === document.documentElement) continue;
    R.korean++;
    if (getComputedStyle(el).wordBreak !== 'keep-all') R.korean_breaks_words.push(el.textContent.trim().slice(0, 20));
  }
  R.sidebar_links = [...document.querySelectorAll('nav.md-nav--primary a.md-nav__link')].filter(visible).length;
  const next = document.querySelector('a.md-footer__link--next');
  R.footer_next = next ? next.getAttribute('href') : null;
  opened.forEach(d => { d.open = false; });
  return R;
}
"""

#: Findings that are lists of offending items (empty on a good page).
PROBLEMS = [
    "number_overlap", "display_wrapped", "display_unboxed", "display_no_affordance", "inline_bad_break",
    "figure_small", "pua", "figure_low_contrast", "raw_caption", "raw_table", "num_left", "hyphen_minus",
    "e_notation", "array_cells", "float_noise", "page_overflow", "table_overflow", "glossary_scrolls",
    "code_low_contrast", "code_wrapped", "copy_covers_code", "toc_tex", "eqref_in_file", "korean_breaks_words",
]


def measure(page: Any, *, every_token: bool = False) -> dict[str, Any]:
    """The page's findings. ``every_token``: compute the colour of every code token, not once per kind
    of token (the same findings, slower: the check of that equivalence)."""
    return page.evaluate(METRICS_JS, {"em": GLYPH_EM, "every_token": every_token})


TEX_RE = re.compile(r"\\[a-zA-Z]{2,}|_\{|\^\{")
TRIPLED_RE = re.compile(r"(?<![A-Za-z])(\S*[A-Za-z(]\S*?)\1\1")


def search_index_problems(index_json: str) -> tuple[int, list[str]]:
    """(entries, entries whose title or text has TeX source or math printed three times).

    Code (``<code>``, ``<pre>``) is left out: the contributing guide shows TeX on purpose.
    """
    docs = json.loads(index_json)["docs"]
    bad = []
    for entry in docs:
        text = entry["title"] + " " + re.sub(r"<(code|pre)>.*?</\1>", " ", entry["text"], flags=re.DOTALL)
        text = re.sub(r"<[^>]+>", " ", text)
        m = TEX_RE.search(text) or TRIPLED_RE.search(text)
        if m:
            bad.append(f"{entry['location']}: …{text[max(0, m.start() - 30):m.end() + 30]}…")
    return len(docs), bad

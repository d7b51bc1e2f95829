"""What a reader must never meet on a built page, measured in the browser.

:func:`inspect_page` runs in a page that has finished rendering (MathJax done, widgets
drawn), with every dropdown opened (:func:`open_everything`), and returns what it found,
at the page's current width:

- ``raw_tables``: paragraphs that show Markdown table syntax (``| a | b |`` and a
  ``|---|`` rule) as text, the sign of a table that did not parse;
- ``raw_math``: text outside code that still holds TeX (``$\\alpha$``, ``\\(``, ``\\[``),
  i.e. math that MathJax never saw, and MathJax's own error boxes (``mjx-merror``);
- ``overflows``: display equations, tables and images wider than the text column, or cut
  by a box that clips (``overflow: hidden``). One inside a scroll container (``overflow-x:
  auto`` or ``scroll``) passes if the container fits the column and, when its content
  does scroll, shows it: ``book/_static/scroll-cues.js`` marks the box and the book's
  stylesheet fades the content out on the side that hides more, since phones hide
  scrollbars until touched; and a widget's control (a slider with its readout, a button)
  that reaches past the column;
- ``figures``: every image of the article outside a widget, with its caption and alt text;
- ``tables``: every table of the article outside a widget, and whether its caption is numbered.

Run ``python tests/page_checks.py PAGE.html [...]`` for a report and screenshots of pages
at both widths (the test in ``test_rendered_pages.py`` applies the same checks to every page).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

WIDTHS = (1400, 400)  # a desktop window and a phone, in CSS pixels
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
LOCAL_HOSTS = {"localhost", "127.0.0.1"}

READY = """() => {
  const mj = window.MathJax;
  if (document.querySelector('.math, span.math, div.math') && !(mj && mj.startup && mj.startup.promise)) return false;
  return (mj && mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve())
    .then(() => document.readyState === 'complete');
}"""

INSPECT = r"""() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main');
  const column = article.getBoundingClientRect();
  const skip = el => el.closest('pre, code, script, style, mjx-container, .highlight, .sig, .widget-subarea, .jupyter-widgets, nav');
  const describe = el => {
    const box = el.closest('section[id], div[id]');
    const text = (el.textContent || el.getAttribute('alt') || el.tagName).replace(/\s+/g, ' ').trim();
    return (box ? '#' + box.id + ': ' : '') + text.slice(0, 80);
  };
  // Markdown tables left as text: a paragraph with a |---| rule and several bars.
  const rawTables = [...article.querySelectorAll('p, li, dd, td')].filter(p => !skip(p)
      && /\|\s*:?-{3,}:?\s*\|/.test(p.textContent) && (p.textContent.match(/\|/g) || []).length >= 4)
    .map(describe);
  // TeX that MathJax never typeset, and MathJax's error boxes.
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const rawMath = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skip(el)) continue;
    const t = node.textContent;
    if (/\$[^$\s][^$]*\\[A-Za-z]+[^$]*\$|\\\(|\\\)|\\\[|\\\]|\\(frac|mathbf|mathrm|sum|lVert|begin)\b/.test(t))
      rawMath.push(describe(el) + ' [' + t.trim().slice(0, 60) + ']');
  }
  article.querySelectorAll('mjx-merror').forEach(e => rawMath.push('MathJax error: ' + e.textContent.slice(0, 80)));
  // Wide things: the visible box of each must fit the column or sit in a scroll container.
  const wide = [...article.querySelectorAll('mjx-container[display="true"] > mjx-math, table, img, svg, figure')]
    .filter(el => !el.closest('.widget-subarea, .jupyter-widgets, nav, .highlight, pre'));
  const overflows = [];
  for (const el of wide) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // hidden (a closed dropdown)
    // Inside a scroll container (overflow-x auto or scroll) the container is what must fit;
    // and if the content does scroll, the container must show it (the book fades the content
    // out on the side where more is hidden): scrollbars are hidden on phones and in headless
    // Chromium.
    let box = el, outer = el.parentElement;
    for (let a = el.parentElement; a && a !== article; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === 'auto' || style.overflowX === 'scroll') {
        if (a.scrollWidth > a.clientWidth + 1 && !(a.classList.contains('srn-scrolls')
            && a.classList.contains('srn-more-right') && style.maskImage !== 'none')) {
          overflows.push('scrolls with nothing to show it (' + a.scrollWidth + ' px in ' + a.clientWidth + '): ' + describe(el));
        }
        box = a; outer = a.parentElement; break;
      }
    }
    const b = box.getBoundingClientRect();
    let clippedBy = null;
    for (let a = outer; a && a !== article; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'hidden' || ox === 'clip') {
        const c = a.getBoundingClientRect();
        if (b.right > c.right + 1 || b.left < c.left - 1) { clippedBy = a; break; }
      }
    }
    if (clippedBy) overflows.push('clipped (' + Math.round(b.width) + ' px in ' +
      Math.round(clippedBy.getBoundingClientRect().width) + ') by ' + (clippedBy.className || clippedBy.tagName) + ': ' + describe(el));
    else if (b.right > column.right + 1 || b.left < column.left - 1)
      overflows.push('wider than the column (' + Math.round(b.width) + ' px of ' + Math.round(column.width) + '): ' + describe(el));
  }
  // A widget's controls (a slider with its label and readout, a button, a text box) must
  // fit the column: clipped inside a scrolling output area, a reader loses the readout.
  for (const el of article.querySelectorAll('.widget-inline-hbox, .widget-button')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > column.right + 1 || r.left < column.left - 1)
      overflows.push('a control wider than the column (' + Math.round(r.width) + ' px of ' +
        Math.round(column.width) + '): ' + describe(el));
  }
  // Figures: images of the article that are not a widget's frames.
  const figures = [...article.querySelectorAll('img:not(.toggler)')]  // (toggler: the module index's +/- icon)
    .filter(img => !img.closest('.jupyter-widgets, .widget-subarea'))
    .map(img => {
      const fig = img.closest('figure');
      const cap = fig && fig.querySelector('figcaption');
      return {src: img.getAttribute('src').split('/').pop(), alt: img.getAttribute('alt') || '',
              caption: cap ? cap.textContent.replace(/\s+/g, ' ').trim() : '',
              numbered: !!(cap && cap.querySelector('.caption-number'))};
    });
  // Tables of the text (not a widget's): whether each has a numbered caption.
  const tables = [...article.querySelectorAll('table')]
    .filter(t => !t.closest('.jupyter-widgets, .widget-subarea, .srn-dfa-stepper, .highlight'))
    .map(t => ({caption: (t.querySelector('caption') || {textContent: ''}).textContent.replace(/\s+/g, ' ').trim(),
                numbered: !!t.querySelector('caption .caption-number')}));
  return {rawTables, rawMath, overflows, figures, tables};
}"""


OPEN_ALL = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('.toggle-details__container, .cell_output.tag_hide-output')
    .forEach(e => { e.style.display = ''; });
}"""


def open_everything(page) -> None:
    """Open every dropdown (solutions, provenance, full tables): a reader may open them all."""
    page.evaluate(OPEN_ALL)
    page.wait_for_timeout(200)


def real_alt(alt: str, src: str) -> bool:
    """Alt text that describes: not empty, not the file name, not a hash."""
    stem = src.rsplit(".", 1)[0]
    return len(alt.split()) >= 3 and stem not in alt and not re.fullmatch(r"[0-9a-f]{16,}", alt)


def well_described(figure: dict) -> bool:
    """A figure of :func:`inspect_page` with a numbered caption and real alt text."""
    return bool(figure["caption"] and figure["numbered"] and real_alt(figure["alt"], figure["src"]))


def chromium_path() -> str | None:
    """The Chromium the browser checks drive (``apt-get install chromium``; CI's ``.ci/run``
    installs it), or ``None``."""
    import shutil

    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


def open_offline_page(browser):
    """A new context and page whose requests to other hosts are aborted; ``page.blocked``
    lists them, ``page.missing`` the local files the page asked for and did not find, and
    ``page.errors`` what the browser logged as an error (console errors, uncaught exceptions)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    blocked, missing, errors = [], [], []

    def route(request_route):
        url = urlparse(request_route.request.url)
        if url.scheme in LOCAL_SCHEMES or url.hostname in LOCAL_HOSTS:
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("requestfailed", lambda request: missing.append(request.url)
            if urlparse(request.url).scheme == "file" else None)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.blocked, page.missing, page.errors = blocked, missing, errors
    return context, page


def wait_until_rendered(page, html: str) -> None:
    """Wait for MathJax's first typesetting and, on a page with image widgets (a frame
    slider; its source is ``html``), for the widget manager to draw them."""
    page.wait_for_function(READY, timeout=90_000)
    if "ImageModel" in html:
        page.wait_for_selector("img.widget-image", state="attached", timeout=90_000)


def inspect_page(page) -> dict:
    return page.evaluate(INSPECT)


def inspect_at_widths(page, screenshots: str | None = None) -> dict:
    """Open every dropdown, then :func:`inspect_page` at each of :data:`WIDTHS`: ``{width:
    found}``. With ``screenshots``, a full-page PNG per width at ``{screenshots}-{width}.png``."""
    open_everything(page)
    found = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(200)  # a relayout (MathJax re-measures nothing: CHTML is CSS)
        found[width] = inspect_page(page)
        if screenshots:
            page.screenshot(path=f"{screenshots}-{width}.png", full_page=True)
    return found


def main(paths: list[str]) -> None:
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        for path in map(Path, paths):
            context, page = open_offline_page(browser)
            page.set_viewport_size({"width": WIDTHS[0], "height": 900})
            page.goto(path.resolve().as_uri(), timeout=120_000)
            wait_until_rendered(page, path.read_text())
            found = inspect_at_widths(page, screenshots=f"/tmp/shot-{path.stem}")
            for width in WIDTHS:
                print(f"== {path.stem} at {width} px (full-page screenshot: /tmp/shot-{path.stem}-{width}.png)")
                for key in ("rawTables", "rawMath", "overflows"):
                    print(f"  {key}: {len(found[width][key])}")
                    for item in found[width][key]:
                        print("    -", item)
                bad = [f for f in found[width]["figures"] if not well_described(f)]
                print(f"  figures: {len(found[width]['figures'])}, without a numbered caption or real alt text: {len(bad)}")
                for f in bad:
                    print("    -", f)
            print(f"  console errors: {len(page.errors)}")
            for e in page.errors:
                print("    -", e[:200])
            context.close()
        browser.close()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

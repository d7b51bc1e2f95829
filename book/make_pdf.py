"""The whole book as one PDF, printed from the built HTML by headless Chromium (``make pdf``).

Each page of the table of contents is opened from disk (every request to another host
aborted), left to typeset its mathematics and draw its widgets (a frame slider prints its
current frame, the stepper its static picture), and printed on A4; a table too wide for the
column is printed in a smaller font first. A title page and a table of contents with page
numbers come first; pypdf merges the pages, stamps each but the title page with its number,
and writes an outline with one entry per page and one per numbered section. The PDF goes to
``_build/html/srnbook.pdf``, where the built book links to it.

Usage: ``python book/make_pdf.py`` after ``jupyter-book build .`` (``make book`` runs both).
"""

from __future__ import annotations

import html
import io
import sys
from pathlib import Path

import yaml
from pypdf import PdfReader, PdfWriter

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
OUT = HTML / "srnbook.pdf"
sys.path.insert(0, str(ROOT))

from tests.page_checks import chromium_path, open_offline_page, wait_until_rendered  # noqa: E402

PRINT_VIEWPORT = {"width": 688, "height": 1400}  # A4 less 2 x 14 mm of margin, in CSS px

PRINT_CSS = """
/* Print the article alone, its collapsed blocks closed, its wide boxes unclipped. */
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer, .bd-footer-article,
.prev-next-area, .header-article, .bd-header-article, #pst-back-to-top, .skip-link { display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; }
.highlight, .MathJax, mjx-container { overflow: visible !important; }
.table-wrapper { overflow: visible !important; }
table { width: 100% !important; max-width: 100% !important; font-size: 0.78em !important; }
th, td { white-space: normal !important; overflow-wrap: normal; hyphens: auto; }
table.srn-narrowed th, table.srn-narrowed td { overflow-wrap: anywhere; }
pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }
"""


def toc_pages() -> list[tuple[str, str | None]]:
    """``(file, part caption)`` for every page of ``_toc.yml``, in order (the root first, a
    page's sections after it)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [(toc["root"], None)]

    def add(entries, caption):
        for entry in entries:
            pages.append((entry["file"], caption))
            add(entry.get("sections", []), caption)

    for part in toc["parts"]:
        add(part["chapters"], part["caption"])
    return pages


FIT_TABLES = """() => {
    // A table wider than the printed column gets a smaller font, down to 0.6em; only a table
    // still too wide then may break its words anywhere (a cell breaks at spaces otherwise).
    // Printed text sets a little wider than on screen: a table must fit 94% of the column.
    const tables = [...document.querySelectorAll('article table')];
    const wide = (table, box) => {  // the table's narrowest layout, against the column
        table.style.setProperty('width', 'min-content', 'important');
        const need = table.scrollWidth;
        table.style.removeProperty('width');
        return need > 0.94 * box.clientWidth;
    };
    for (const table of tables) {
        const box = table.closest('.table-wrapper') || table.parentElement;
        for (let size = 0.74; wide(table, box) && size >= 0.6; size -= 0.04)
            table.style.setProperty('font-size', size + 'em', 'important');
        if (wide(table, box)) table.classList.add('srn-narrowed');
    }
}"""


def print_page(page, url: str) -> tuple[PdfReader, str, list[tuple[str, int]]]:
    """One built page printed (its PDF, read), its title, and its numbered sections with their
    page (0-based, within this page's PDF, estimated from their vertical position)."""
    page.goto(url)
    wait_until_rendered(page, page.content())
    page.add_style_tag(content=PRINT_CSS)
    page.emulate_media(media="print")
    page.wait_for_timeout(200)
    page.evaluate(FIT_TABLES)
    title = page.evaluate("() => (document.querySelector('article h1') || {}).textContent || document.title")
    sections = page.evaluate("""() => {
        const height = document.documentElement.scrollHeight;
        return [...document.querySelectorAll('article section > h2')].map(h => [
            h.textContent.replace(/#$/, '').trim(), h.getBoundingClientRect().top / height]);
    }""")
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True, margin={
        "top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})))
    n = len(pdf.pages)
    return pdf, title.replace("#", "").strip(), [(t, min(n - 1, int(f * n))) for t, f in sections]


def page_numbers(page, count: int) -> PdfReader:
    """``count`` A4 pages, blank but for their number at the foot: stamped on the book's pages."""
    pages = "".join(f'<div class="p"><span>{i}</span></div>' for i in range(1, count + 1))
    page.set_content(f"""<html><head><style>
      @page {{ size: A4; margin: 0; }} body {{ margin: 0; }}
      .p {{ height: 296mm; position: relative; page-break-after: always; }}
      .p span {{ position: absolute; bottom: 7mm; width: 100%; text-align: center;
                font: 9pt sans-serif; color: #555; }}
    </style></head><body>{pages}</body></html>""")
    return PdfReader(io.BytesIO(page.pdf(format="A4", margin={"top": "0", "bottom": "0", "left": "0", "right": "0"})))


def front_matter(page, entries: list[tuple[str, str | None, int]]) -> PdfReader:
    """A title page and a table of contents: ``entries`` are (title, part, first page)."""
    rows, part = [], None
    for title, caption, number in entries:
        if caption and caption != part:
            part = caption
            rows.append(f'<tr><td colspan="2" class="part">{html.escape(caption)}</td></tr>')
        rows.append(f"<tr><td>{html.escape(title)}</td><td class='n'>{number}</td></tr>")
    body = f"""<html><head><meta charset="utf-8"><style>
      body {{ font-family: sans-serif; margin: 0; }}
      .title {{ height: 250mm; display: flex; flex-direction: column; justify-content: center;
               text-align: center; page-break-after: always; }}
      h1 {{ font-size: 30pt; margin: 0 0 8mm; }} .sub {{ font-size: 13pt; color: #444; }}
      table {{ width: 100%; border-collapse: collapse; font-size: 11pt; }}
      td {{ padding: 1.2mm 0; }} td.n {{ text-align: right; }}
      td.part {{ font-weight: bold; padding-top: 4mm; }}
    </style></head><body>
      <div class="title"><h1>Simple Recurrent Networks</h1>
        <div class="sub">An interactive textbook, printed from its HTML edition.<br>
        The srnbook authors, 2026. Code: MIT; MLRegTest automata: CC BY 4.0.</div></div>
      <h2>Contents</h2><table>{''.join(rows)}</table></body></html>"""
    page.set_content(body)
    return PdfReader(io.BytesIO(page.pdf(format="A4", margin={
        "top": "16mm", "bottom": "16mm", "left": "18mm", "right": "18mm"})))


def main(out: Path = OUT) -> Path:
    from playwright.sync_api import sync_playwright

    printed = []
    with sync_playwright() as p:
        if chromium_path() is None:
            raise SystemExit("make pdf prints the built pages with Chromium: install it (apt-get install chromium)")
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        _, page = open_offline_page(browser)  # requests to other hosts aborted, as in the tests
        page.set_viewport_size(PRINT_VIEWPORT)  # the printed column's width, to fit the tables to
        for file, caption in toc_pages():
            path = HTML / f"{file}.html"
            if not path.exists():
                raise SystemExit(f"{path} is missing: build the HTML book first (make book)")
            printed.append((caption, *print_page(page, path.as_uri())))
            print(f"printed {file}", flush=True)
        # the front matter's length does not depend on the page numbers it lists
        def entries(offset):
            first, out = offset + 1, []
            for caption, pdf, title, _ in printed:
                out.append((title, caption, first))
                first += len(pdf.pages)
            return out
        front = front_matter(page, entries(len(front_matter(page, entries(0)).pages)))
        total = len(front.pages) + sum(len(pdf.pages) for _, pdf, _, _ in printed)
        numbers = page_numbers(page, total).pages
        browser.close()
    writer = PdfWriter()
    writer.append(front)
    writer.add_outline_item(title="Contents", page_number=1 if len(writer.pages) > 1 else 0)
    for caption, pdf, title, sections in printed:
        start = len(writer.pages)
        writer.append(pdf)
        chapter = writer.add_outline_item(title=title, page_number=start)
        for name, offset in sections:
            writer.add_outline_item(title=name, page_number=start + offset, parent=chapter)
    for index in range(1, len(writer.pages)):  # the title page (index 0) carries none
        writer.pages[index].merge_page(numbers[index])
    writer.add_metadata({"/Title": "Simple Recurrent Networks", "/Author": "The srnbook authors"})
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:
        writer.write(handle)
    print(f"wrote {out}: {len(writer.pages)} pages")
    return out


if __name__ == "__main__":
    main()

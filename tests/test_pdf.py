"""The book as one PDF (``make pdf``, ``book/make_pdf.py``): every page of the table of contents
is in its outline, and its text shows no raw mathematics or Markdown."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT / "_build" / "html" / "srnbook.pdf"

RAW = {"TeX display math": r"\$\$", "a TeX command": r"\\(frac|begin\{|mathbb|mathrm|lVert|sum_|hat )",
       "a MyST role or directive": r"\{(math|eq|numref|prf:ref|glue:text|cite:[pt])\}`|:::\{",
       "a Markdown table": r"^\s*\| [^|\n]* \| [^|\n]* \||\|\s*:?-{3,}:?\s*\|"}


def raw_markup(text: str) -> list[str]:
    """What in ``text`` is markup a reader should never see: unrendered TeX, MyST or tables."""
    return [f"{what}: {m.group(0)!r}" for what, pattern in RAW.items()
            for m in re.finditer(pattern, text, flags=re.M)]


def test_the_markup_check_finds_what_it_looks_for():
    assert raw_markup("the loss $$L = \\frac{1}{m}$$ and {numref}`ls-tbl-live`")
    assert raw_markup("| step | measured |\n|---|---|")
    assert raw_markup("see \\mathbb 1")
    assert not raw_markup("an ordinary sentence | with a bar, 8.3 $5, and |Q||Σ| units\n|Q|")


@pytest.fixture(scope="module")
def pdf():
    from pypdf import PdfReader

    if not PDF.exists():
        pytest.fail(f"{PDF} is missing: make pdf writes it (make test runs it)")
    return PdfReader(PDF)


def test_every_page_of_the_table_of_contents_is_in_the_outline(pdf):
    import sys

    sys.path.insert(0, str(ROOT / "book"))
    from make_pdf import toc_pages

    files = [file for file, _ in toc_pages()]
    assert "book/learning_ssrn" in files and "book/api/lstar" in files
    titles = [item.title for item in pdf.outline if not isinstance(item, list)]
    assert titles[0] == "Contents" and len(titles) == len(files) + 1
    for file, title in zip(files, titles[1:]):
        assert first_heading(file) in title, f"{file}: outline entry {title!r}"
    pages = [pdf.get_destination_page_number(item) for item in pdf.outline if not isinstance(item, list)]
    assert pages == sorted(pages) and pages[-1] < len(pdf.pages)


def first_heading(file: str) -> str:
    """The ``# title`` of a page of the book (a Markdown file or a notebook's first cell)."""
    path = ROOT / f"{file}.md"
    if path.exists():
        text = path.read_text()
    else:
        import json
        text = "".join(json.loads((ROOT / f"{file}.ipynb").read_text())["cells"][0]["source"])
    return re.search(r"^# (.+)$", text, flags=re.M).group(1).strip()


def test_no_page_shows_raw_tex_markup_or_tables(pdf):
    found = [f"page {i + 1}: {problem}" for i, page in enumerate(pdf.pages)
             for problem in raw_markup(page.extract_text())]
    assert found == []


def test_the_book_links_to_its_pdf():
    intro = (ROOT / "_build" / "html" / "book" / "intro.html").read_text()
    assert 'href="../srnbook.pdf"' in intro and PDF.exists()


def test_every_page_but_the_title_page_carries_its_number(pdf):
    """The number at the foot of a page is its place in the file, as the contents list it."""
    unnumbered = [i + 1 for i, page in enumerate(pdf.pages)
                  if i and not re.search(rf"(^|\n){i + 1}\s*$", page.extract_text())]
    assert unnumbered == []

"""Specification of the built HTML book (``make book`` builds it; ``make test`` builds it first).

The book must work with no network: no page may load a script or a stylesheet from
another host, and, opened in a real browser, the chapter must render its
mathematics and its widgets from the files shipped with it.
"""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from _browser import Browser

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//[^"'\s>]*\.(js|css)\b""", re.I)
CSS_EXTERNAL = re.compile(r"""(@import\s+(url\()?|url\()\s*["']?(https?:)?//""", re.I)


@pytest.fixture(scope="module")
def html_dir():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html/index.html is missing: build the book first (make book; make test does it)")
    return HTML


def test_index_and_chapter_are_built(html_dir):
    assert (html_dir / "index.html").exists()
    assert (html_dir / "book" / "srn.html").exists()


def test_no_page_loads_scripts_or_styles_from_another_host(html_dir):
    offenders = []
    for path in html_dir.rglob("*"):
        if path.suffix == ".html":
            offenders += [f"{path}: {m.group(0)}" for m in EXTERNAL.finditer(path.read_text(errors="ignore"))]
        elif path.suffix == ".css":
            offenders += [f"{path}: {m.group(0)}" for m in CSS_EXTERNAL.finditer(path.read_text(errors="ignore"))]
    assert offenders == []


def test_chapter_references_the_shipped_mathjax_and_widget_manager(html_dir):
    page = (html_dir / "book" / "srn.html").read_text()
    for script in ("vendor/mathjax/tex-chtml-full.js", "vendor/requirejs/require.js",
                   "vendor/html-manager/embed-amd.js"):
        assert f'src="../_static/{script}' in page, f"{script} is not loaded by the chapter"
        assert (html_dir / "_static" / script).exists(), f"{script} is not shipped with the book"
    assert "application/vnd.jupyter.widget-state+json" in page, "the chapter has no saved widget state"


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("CI must have Chromium (.ci/run installs it with apt-get)")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")


@pytest.fixture(scope="module")
def chapter(html_dir):
    """The chapter "Simple recurrent networks", opened in headless Chromium with no network."""
    browser = Browser(chromium())
    browser.open((html_dir / "book" / "srn.html").as_uri())
    yield browser
    browser.close()


def test_chapter_renders_its_math_offline(chapter):
    assert chapter.wait_for("document.querySelectorAll('mjx-container').length > 50"), \
        "MathJax did not render the chapter's mathematics"
    assert chapter.evaluate("document.querySelectorAll('mjx-merror').length") == 0, "MathJax reported an error"


FRAME = """JSON.stringify({
  readout: document.querySelector('.widget-readout').textContent,
  images: [...document.querySelectorAll('img.widget-image')]
            .filter(i => i.offsetParent !== null && i.getBoundingClientRect().height > 0)
            .map(i => i.src)})"""


def test_chapter_widget_switches_frames_without_a_kernel(chapter):
    assert chapter.wait_for("document.querySelectorAll('img.widget-image').length > 0"), \
        "the weight-scale widget was not rendered"
    assert chapter.wait_for(f"JSON.parse({FRAME}).images.length === 1", timeout=20), \
        "the first frame is not shown"
    before = json.loads(chapter.evaluate(FRAME))
    assert before["readout"] == "4"
    chapter.evaluate("document.querySelector('.noUi-handle').focus()")
    chapter.press("ArrowRight", 39)
    chapter.press("ArrowRight", 39)
    assert chapter.wait_for("document.querySelector('.widget-readout').textContent === '16'", timeout=10)
    shown = f"JSON.parse({FRAME}).images"
    chapter.wait_for(f"{shown}.length === 1 && {shown}[0] !== {json.dumps(before['images'][0])}", timeout=20)
    after = json.loads(chapter.evaluate(FRAME))
    assert len(after["images"]) == 1 and after["images"] != before["images"], \
        "moving the slider did not show another precomputed frame"

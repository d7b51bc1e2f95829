"""Specification of the built HTML book (``make book`` builds it; ``make test`` builds it first).

The book must work with no network: no page may load a script or a stylesheet from
another host, and, opened in a real browser, the chapter must render its
mathematics and its widgets from the files shipped with it.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//[^"'\s>]*\.(js|css)\b""", re.I)
CSS_EXTERNAL = re.compile(r"""(@import\s+(url\()?|url\()\s*["']?(https?:)?//""", re.I)


@pytest.fixture(scope="module")
def html_dir():
    if not (HTML / "index.html").exists():
        pytest.fail("_build/html/index.html is missing: build the book first (make book; make test does it)")
    return HTML


# Chapters with a frame slider: its initial readout, and the readout after two steps right.
SLIDERS = {
    "srn": ("4", "16"),
    "vanishing_gradients": ("0.9", "1.1"),
    "stability": ("1.5", "2.0"),
    "associative_memory": ("0.1", "0.15"),
    "fast_weights": ("9", "11"),
    "hessian_free": ("1", "3"),
    "kfac": ("1e-03", "1e-01"),
    "learning_ssrn": ("0", "10"),
    "reservoir": ("1.2", "1.7"),
    "backward_tuning": ("0", "2"),
}


def test_index_and_chapters_are_built(html_dir):
    assert (html_dir / "index.html").exists()
    for name in ("srn", "vanishing_gradients", "stability", "associative_memory", "fast_weights", "dfa_to_ssrn",
                 "learning_ssrn", "hessian_free", "kfac", "reservoir", "backward_tuning"):
        assert (html_dir / "book" / f"{name}.html").exists(), f"chapter {name} is not in the built book"


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


@pytest.fixture(params=sorted(SLIDERS))
def chapter(request, offline_page, html_dir):
    """A chapter with a frame slider, opened in headless Chromium with no network."""
    offline_page.goto((html_dir / "book" / f"{request.param}.html").as_uri())
    offline_page.slider_readouts = SLIDERS[request.param]
    return offline_page


def test_chapter_renders_its_math_offline(chapter):
    chapter.wait_for_function("document.querySelectorAll('mjx-container').length > 50", timeout=60_000)
    assert chapter.locator("mjx-merror").count() == 0, "MathJax reported an error"
    assert chapter.blocked == [], "the chapter asked for another host"
    assert chapter.missing == [], "the chapter asked for files the book does not ship"


def visible_frames(page):
    return page.evaluate("""[...document.querySelectorAll('img.widget-image')]
        .filter(i => i.offsetParent !== null && i.getBoundingClientRect().height > 0)
        .map(i => i.src)""")


def test_chapter_widget_switches_frames_without_a_kernel(chapter):
    chapter.wait_for_selector("img.widget-image", state="attached", timeout=60_000)
    chapter.wait_for_function("""[...document.querySelectorAll('img.widget-image')]
        .filter(i => i.offsetParent !== null && i.getBoundingClientRect().height > 0).length === 1""",
                              timeout=20_000)
    first, third = chapter.slider_readouts
    readout = chapter.locator(".widget-readout").first
    assert readout.text_content() == first
    before = visible_frames(chapter)
    chapter.locator(".noUi-handle").first.focus()
    chapter.keyboard.press("ArrowRight")
    chapter.keyboard.press("ArrowRight")
    chapter.wait_for_function("r => document.querySelector('.widget-readout').textContent === r", arg=third,
                              timeout=10_000)
    chapter.wait_for_function(
        """before => { const shown = [...document.querySelectorAll('img.widget-image')]
             .filter(i => i.offsetParent !== null && i.getBoundingClientRect().height > 0).map(i => i.src);
           return shown.length === 1 && shown[0] !== before; }""", arg=before[0], timeout=20_000)
    after = visible_frames(chapter)
    assert len(after) == 1 and after != before, "moving the slider did not show another precomputed frame"
    assert chapter.blocked == []

"""Specification of the built HTML book (``make book`` builds it; ``make test`` builds it first).

The book must work with no network: no page may load a script or a stylesheet from
another host, and, opened in a real browser, the chapter must render its
mathematics and its widgets from the files shipped with it.

Opening a chapter in Chromium costs 5 to 10 CPU seconds (the saved widget frames and
MathJax), so the browser check of every chapter runs with ``pytest --exhaustive``
(``make test-exhaustive``, which CI runs); a plain run (``make test``) opens a seeded
sample of ``BROWSER_SAMPLE`` chapters, the same every run. The static checks below
read every page.
"""

import json
import re
from pathlib import Path

import numpy as np
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


WIDGET_STATE = re.compile(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S)


@pytest.mark.parametrize("name", sorted(SLIDERS))
def test_every_slider_is_saved_linked_to_its_frames(html_dir, name):
    """The static half of the browser check, for every chapter: the page saves a slider
    whose index is linked (in the browser, no kernel) to a stack with one image per position."""
    saved = WIDGET_STATE.search((html_dir / "book" / f"{name}.html").read_text())
    assert saved, f"{name} saves no widget state"
    models = {f"IPY_MODEL_{key}": model for key, model in json.loads(saved.group(1))["state"].items()}
    first, third = SLIDERS[name]
    sliders = [key for key, m in models.items() if m["model_name"] == "SelectionSliderModel"
               and m["state"]["_options_labels"][m["state"]["index"]] == first
               and m["state"]["_options_labels"][m["state"]["index"] + 2] == third]
    assert sliders, f"no saved slider of {name} starts at {first} with {third} two steps on"
    links = [m["state"] for m in models.values() if m["model_name"] == "LinkModel"]
    stacks = [target for link in links if link["source"] == [sliders[0], "index"]
              for target, trait in [link["target"]] if trait == "selected_index"]
    assert stacks, f"the slider of {name} is not linked to a stack"
    stack = models[stacks[0]]["state"]
    labels = models[sliders[0]]["state"]["_options_labels"]
    assert len(stack["children"]) == len(labels), "one frame per slider position"
    assert all(models[child]["model_name"] == "ImageModel" for child in stack["children"])


BROWSER_SAMPLE = 3  # chapters opened in the browser by a plain run


def browser_chapters(config) -> list[str]:
    """Every chapter with a slider under ``--exhaustive``; otherwise a seeded sample of them."""
    names = sorted(SLIDERS)
    if config.getoption("--exhaustive"):
        return names
    return sorted(np.random.default_rng(18).choice(names, BROWSER_SAMPLE, replace=False).tolist())


def pytest_generate_tests(metafunc):
    if "chapter" in metafunc.fixturenames:
        metafunc.parametrize("chapter", browser_chapters(metafunc.config), indirect=True)


@pytest.fixture
def chapter(request, offline_page, html_dir):
    """A chapter with a frame slider, opened in headless Chromium with no network."""
    offline_page.goto((html_dir / "book" / f"{request.param}.html").as_uri())
    offline_page.slider_readouts = SLIDERS[request.param]
    return offline_page


def visible_frames(page):
    return page.evaluate("""[...document.querySelectorAll('img.widget-image')]
        .filter(i => i.offsetParent !== null && i.getBoundingClientRect().height > 0)
        .map(i => i.src)""")


@pytest.mark.exhaustive
def test_chapter_renders_its_math_and_switches_widget_frames_offline(chapter):
    """One page load per chapter: the mathematics renders from the shipped MathJax, then the
    frame slider, moved two steps with the keyboard, shows another precomputed frame (no kernel)."""
    chapter.wait_for_function("document.querySelectorAll('mjx-container').length > 50", timeout=60_000)
    assert chapter.locator("mjx-merror").count() == 0, "MathJax reported an error"

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
    assert chapter.blocked == [], "the chapter asked for another host"
    assert chapter.missing == [], "the chapter asked for files the book does not ship"

"""Specification of the built HTML book (``make book`` builds it; ``make test`` builds it first).

The book must work with no network: no page may load a script or a stylesheet from
another host, and, opened in a real browser, the chapter must render its
mathematics and its widgets from the files shipped with it.
"""

import os
import re
import shutil
import subprocess
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


def rendered_dom(page: Path) -> str:
    """The page's DOM after its scripts ran, from headless Chromium with the network off."""
    cmd = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--allow-file-access-from-files", "--proxy-server=127.0.0.1:9",  # any network access fails
        f"--user-data-dir={ROOT / '_build' / 'chromium-profile'}",
        "--virtual-time-budget=20000", "--dump-dom", page.as_uri(),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_chapter_renders_math_and_widgets_offline_in_a_browser(html_dir):
    dom = rendered_dom(html_dir / "book" / "srn.html")
    assert dom.count("<mjx-container") > 50, "MathJax did not render the chapter's mathematics"
    assert "<mjx-merror" not in dom, "MathJax reported an error"
    assert "widget-slider" in dom or "widget-hslider" in dom, "the weight-scale slider was not rendered"
    assert dom.count('class="jupyter-widgets widget-image') >= 1 or "widget-image" in dom, \
        "the precomputed frames were not rendered"

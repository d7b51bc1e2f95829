"""How heavy the built pages are and how fast they paint, opened from disk in headless Chromium.

For every chapter page of ``_build/html`` (``make book`` first): the size of its HTML, the
bytes of the scripts it loads, and the time to first contentful paint and to the end of
MathJax's typesetting (the wait of the browser tests), the median of three loads with a
warm cache. Requests to other hosts are aborted, as in the tests. Timings are printed,
never asserted (``benchmarks/README.md``).

Usage: ``python benchmarks/page_load.py [PAGE.html ...]``.
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.page_checks import READY, chromium_path, open_offline_page  # noqa: E402

SCRIPT = re.compile(r'<script[^>]+src="([^"?]+)')


def script_bytes(page: Path) -> int:
    """Bytes of the local scripts ``page`` loads."""
    total = 0
    for src in SCRIPT.findall(page.read_text(encoding="utf-8")):
        path = (page.parent / src).resolve()
        if path.exists():
            total += path.stat().st_size
    return total


def measure(browser, page_path: Path, loads: int = 3) -> tuple[float, float]:
    """Median first contentful paint and typeset-done times, in milliseconds."""
    paints, ready = [], []
    context, page = open_offline_page(browser)
    page.set_viewport_size({"width": 1400, "height": 900})
    for _ in range(loads + 1):  # the first load warms the cache
        page.goto(page_path.as_uri())
        page.wait_for_function(READY, timeout=90_000)
        paints.append(page.evaluate("""() => (performance.getEntriesByName('first-contentful-paint')[0]
                                             || {startTime: NaN}).startTime"""))
        ready.append(page.evaluate("() => performance.now()"))
    context.close()
    return statistics.median(paints[1:]), statistics.median(ready[1:])


def main(paths: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    html = ROOT / "_build" / "html" / "book"
    pages = [Path(p) for p in paths] or sorted(p for p in html.glob("*.html"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        print(f"{'page':32s} {'HTML KB':>8s} {'scripts KB':>10s} {'first paint ms':>15s} {'typeset ms':>11s}")
        for path in pages:
            paint, ready = measure(browser, path.resolve())
            print(f"{path.name:32s} {path.stat().st_size / 1024:8.0f} {script_bytes(path) / 1024:10.0f} "
                  f"{paint:15.0f} {ready:11.0f}", flush=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])

"""Make book/images/dfa_stepper.png: the DFA stepper in the static HTML book after three steps.

Run by ``make screenshots`` after ``make book``. It opens the built chapter in
headless Chromium (Debian's, driven by Playwright) with the network cut, presses
"step" three times on the first stepper (the even-a's DFA on "aba"), and saves a
picture of the widget, which the chapter shows where widgets cannot run (PDF).
"""

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "_build" / "html" / "book" / "dfa_to_ssrn.html"
OUT = Path(__file__).with_name("dfa_stepper.png")


def main() -> None:
    if not PAGE.exists():
        sys.exit(f"{PAGE} is missing: run `make book` first")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 900}, device_scale_factor=2)
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                   else r.abort())
        page.goto(PAGE.as_uri())
        widget = page.locator(".srn-dfa-stepper").first
        widget.wait_for(timeout=60_000)
        for t in (1, 2, 3):
            widget.locator("[data-role=step]").click()
            page.wait_for_function(
                "t => Number(document.querySelector('.srn-dfa-stepper [data-role=tape]')"
                ".dataset.position) === t", arg=t)
        widget.screenshot(path=str(OUT))
        browser.close()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

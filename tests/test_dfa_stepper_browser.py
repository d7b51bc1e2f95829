"""Specification of the DFA stepper in a real browser (Playwright driving Chromium).

Two places a reader meets it: the static HTML book, opened from ``_build/html`` with
the network cut and no kernel, and JupyterLab served on localhost, where the same
notebook is run. In both, stepping through "aba" must move the highlighted state and
the one-hot hidden vector exactly as the DFA and the compiled SSRN say.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import torch

from srnbook.dfa import even_as
from srnbook.ssrn import dfa_to_ssrn

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "dfa_to_ssrn"
WORD = "aba"  # the report's worked example (section 7.2)


def read_widget(page):
    """The first stepper's state as the page shows it."""
    return page.evaluate("""() => {
        const w = document.querySelector('.srn-dfa-stepper');
        const cells = [...w.querySelectorAll('[data-role=hidden] td')].map(c => Number(c.dataset.value));
        return {
            position: Number(w.querySelector('[data-role=tape]').dataset.position),
            current: [...w.querySelectorAll('.dfa-state.current')].map(g => Number(g.dataset.state)),
            dfaState: Number(w.querySelector('[data-role=status]').dataset.dfaState),
            hidden: cells,
            J: w.querySelector('[data-role=J-readout]').textContent,
        };
    }""")


def expected_trace():
    """h_0..h_3 for "aba" from the compiled SSRN in Python, and the DFA's states."""
    ssrn = dfa_to_ssrn(even_as())
    return ssrn.trace(WORD).tolist(), even_as().run(WORD)


def step_three_times_and_check(page):
    widget = page.locator(".srn-dfa-stepper").first
    widget.wait_for(timeout=60_000)
    hidden, states = expected_trace()
    seen = [read_widget(page)]
    assert seen[0]["position"] == 0 and seen[0]["current"] == [states[0]]
    assert seen[0]["hidden"] == hidden[0]
    for t in (1, 2, 3):
        widget.locator("[data-role=step]").click()
        page.wait_for_function(
            "t => Number(document.querySelector('.srn-dfa-stepper [data-role=tape]').dataset.position) === t",
            arg=t, timeout=10_000)
        seen.append(read_widget(page))
        assert seen[t]["current"] == [states[t]], f"after {t} letters the DFA is in q{states[t]}"
        assert seen[t]["dfaState"] == states[t]
        assert seen[t]["hidden"] == hidden[t], f"h_{t} differs from the compiled SSRN's"
        assert seen[t]["hidden"] != seen[t - 1]["hidden"], "the hidden vector did not change"
    # the report's worked example: h_2 = (0,0,0,1), h_3 = (1,0,0,0)
    assert seen[2]["hidden"] == [0, 0, 0, 1] and seen[3]["hidden"] == [1, 0, 0, 0]
    return seen


@pytest.fixture
def static_chapter(module_offline_page):
    """The chapter in the static book, opened once for this module (it takes seconds), its
    first stepper put back before each test: the word "aba", at t = 0, J saturating."""
    page = module_offline_page
    html = ROOT / "_build" / "html" / "book" / f"{CHAPTER}.html"
    if not html.exists():
        pytest.fail(f"{html} is missing: build the book first (make test does it)")
    if page.url != html.as_uri():
        page.goto(html.as_uri())
    widget = page.locator(".srn-dfa-stepper").first
    widget.wait_for(timeout=60_000)
    widget.locator("[data-role=word]").fill(WORD)
    widget.locator("[data-role=reset]").click()
    slider = widget.locator("[data-role=J]")
    slider.fill(slider.get_attribute("max"))
    page.wait_for_function("""() => { const w = document.querySelector('.srn-dfa-stepper');
        return w.querySelector('[data-role=tape]').dataset.position === '0'
            && w.querySelector('[data-role=J-readout]').textContent.includes('saturated'); }""",
                           timeout=10_000)
    return page


def test_static_book_steps_the_widget_without_a_kernel(static_chapter):
    step_three_times_and_check(static_chapter)
    assert static_chapter.blocked == [], "the page asked for another host"
    assert static_chapter.missing == [], "the page asked for files the book does not ship"


def test_static_book_widget_follows_the_J_slider_like_torch(static_chapter):
    page = static_chapter
    widget = page.locator(".srn-dfa-stepper").first
    widget.wait_for(timeout=60_000)
    for _ in range(3):
        widget.locator("[data-role=step]").click()
    slider = widget.locator("[data-role=J]")
    slider.fill("0")  # J = 1: blurred hidden values
    page.wait_for_function(
        "() => document.querySelector('.srn-dfa-stepper [data-role=J-readout]').textContent === 'J = 1'")
    shown = torch.tensor(read_widget(page)["hidden"])
    reference = dfa_to_ssrn(even_as(), J=1.0).trace(WORD)[3]
    assert not torch.all((shown == 0) | (shown == 1)), "at J = 1 the hidden values are not saturated"
    assert torch.allclose(shown, reference, rtol=1e-6, atol=1e-7)
    # the status measures h_3 against the code of the DFA's state after "aba": (1, 0, 0, 0)
    status = widget.locator("[data-role=status]")
    gap = float(status.get_attribute("data-distance"))
    assert gap == pytest.approx((reference - torch.tensor([1.0, 0, 0, 0])).abs().max().item(), rel=1e-6)
    lost = gap >= 0.5
    assert status.get_attribute("data-lost") == str(lost).lower()
    assert ("has lost the state" in status.text_content()) == lost


def test_static_book_widget_clears_on_an_invalid_word(static_chapter):
    """A word with a letter outside the alphabet: an error, and nothing left of the old word."""
    page = static_chapter
    widget = page.locator(".srn-dfa-stepper").first
    widget.wait_for(timeout=60_000)
    widget.locator("[data-role=step]").click()
    widget.locator("[data-role=word]").fill("abz")
    assert "unknown symbol" in widget.locator("[data-role=error]").text_content()
    assert widget.locator("[data-role=hidden]").count() == 0, "the old hidden vector is still shown"
    assert widget.locator(".dfa-state.current").count() == 0
    assert widget.locator("[data-role=tape]").text_content() == "(no valid word)"
    assert widget.locator("[data-role=step]").is_disabled()
    widget.locator("[data-role=word]").fill("ab")
    assert widget.locator("[data-role=error]").text_content() == ""
    assert widget.locator("[data-role=hidden] td").count() == 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stepper_cells(chapter: Path) -> dict:
    """The chapter reduced to its import cell and the cells that show a stepper, outputs cleared:
    what a reader runs to get the widget (the chapter's other cells are nbval's business)."""
    nb = json.loads(chapter.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    kept = [code[0]] + [c for c in code[1:] if "DFAStepper(" in "".join(c["source"])]
    assert len(kept) > 1, f"{chapter.name} shows no DFAStepper"
    for cell in kept:
        cell["outputs"], cell["execution_count"] = [], None
    nb["cells"] = kept
    nb["metadata"].pop("widgets", None)
    return nb


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on localhost serving the chapter's stepper cells, with a throwaway config."""
    (tmp_path / f"{CHAPTER}.ipynb").write_text(json.dumps(stepper_cells(ROOT / "book" / f"{CHAPTER}.ipynb")))
    port, token = free_port(), "srnbook-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    tracker = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')  # every cell in the DOM
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
         "--LabApp.expose_app_in_browser=True", "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("JupyterLab did not start")
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}/lab/tree/{CHAPTER}.ipynb?token={token}"
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def test_jupyterlab_runs_the_stepper_cells_and_steps_the_widget(offline_page, jupyterlab):
    page = offline_page
    page.goto(jupyterlab)
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')",
                           timeout=90_000)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=90_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    assert page.locator(".srn-dfa-stepper").count() == 0
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.locator(".srn-dfa-stepper").first.wait_for(timeout=120_000)
    step_three_times_and_check(page)
    assert page.blocked == [], "JupyterLab asked for another host"

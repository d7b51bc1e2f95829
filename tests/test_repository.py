"""Specification of the repository itself: one list of pins, notebooks stored executed."""

import base64
import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def requirement_pins(lines):
    """{name (normalized): version} for every ``name==version`` line."""
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_requirements_pin_every_dependency_exactly():
    lines = [l.split("#", 1)[0].strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    lines = [l for l in lines if l]
    assert lines, "requirements.txt is empty"
    unpinned = [l for l in lines if "==" not in l]
    assert unpinned == [], f"requirements.txt has unpinned lines: {unpinned}"
    pins = requirement_pins(lines)
    assert pins["torch"] == "2.13.0"
    major, minor = (int(v) for v in pins["jupyter-book"].split(".")[:2])
    assert (major, minor) >= (1, 0) and major < 2


def test_environment_yml_repeats_the_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_lists = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml must have one pip list"
    env_pins = requirement_pins(pip_lists[0])
    req_pins = requirement_pins((ROOT / "requirements.txt").read_text().splitlines())
    assert env_pins == req_pins
    assert "-e ." in pip_lists[0], "Binder must install the package itself"


def test_pyproject_dependencies_are_all_pinned_in_requirements():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    req_pins = requirement_pins((ROOT / "requirements.txt").read_text().splitlines())
    for dep in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.\-]+", dep).group(0).lower()
        assert name in req_pins, f"{name} is a dependency of srnbook but not pinned in requirements.txt"


def notebooks():
    return sorted((ROOT / "book").glob("*.ipynb"))


def test_every_notebook_is_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    for nb in notebooks():
        assert f"book/{nb.stem}" in toc, f"{nb.name} is not in _toc.yml"


def test_notebooks_are_stored_executed_without_errors():
    assert notebooks(), "no chapters found in book/"
    for path in notebooks():
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
        counts = [c["execution_count"] for c in code]
        assert None not in counts, f"{path.name} has cells that were not executed"
        assert counts == list(range(1, len(counts) + 1)), f"{path.name} was not executed top to bottom"
        errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
        assert errors == [], f"{path.name} stores an error output"
        has_widgets = any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                          for c in code for o in c["outputs"])
        if has_widgets:
            assert nb["metadata"].get("widgets"), f"{path.name} shows widgets but stores no widget state"


HIDDEN = {"hide-input", "remove-input", "remove-cell"}
VISIBLE_LINES = 12  # a visible cell is a few lines that teach
LINE_LENGTH = 88


def code_cells(path):
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] == "code":
            yield i, "".join(cell["source"]).splitlines(), set(cell.get("metadata", {}).get("tags", []))


def test_chapter_code_is_short_and_hides_its_plumbing():
    """Every code line fits 88 characters (a reader may open a hidden cell too); a cell the
    reader sees without asking has at most VISIBLE_LINES lines."""
    long_lines, long_cells = [], []
    for path in notebooks():
        for i, lines, tags in code_cells(path):
            long_lines += [f"{path.name} cell {i}: {len(line)} chars" for line in lines if len(line) > LINE_LENGTH]
            if not tags & HIDDEN and len(lines) > VISIBLE_LINES:
                long_cells.append(f"{path.name} cell {i}: {len(lines)} visible lines")
    assert long_lines == [], f"{len(long_lines)} code lines over {LINE_LENGTH} characters"
    assert long_cells == [], f"visible cells over {VISIBLE_LINES} lines"


MAX_FIGURE_PX = 650  # srnbook.plotting.FIGURE_WIDTH (6.4 in) at 100 dpi, and a tight bounding box's slack


def png_width(data: str) -> int:
    """The width in pixels of a base64-encoded PNG (from its IHDR chunk)."""
    head = base64.b64decode(data[:64])
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(head[16:20], "big")


def stored_figures(path):
    """``(where, base64 PNG)`` for every figure a chapter stores: its image outputs and the
    frames of its sliders (images in the saved widget state)."""
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                yield f"{path.name} cell {i}", output["data"]["image/png"]
    state = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for key, model in state.get("state", {}).items():
        if model.get("model_name") == "ImageModel":
            for buffer in model.get("buffers", []):
                yield f"{path.name} slider frame {key[:8]}", buffer["data"]


def test_every_figure_reads_on_a_phone():
    """A figure is at most MAX_FIGURE_PX wide: shown in a phone's 368-px column it keeps its
    10-pt text at least 8 px tall (panels stack instead of standing side by side)."""
    wide = [f"{where}: {width} px" for path in notebooks() for where, data in stored_figures(path)
            if (width := png_width(data)) > MAX_FIGURE_PX]
    assert wide == []


def test_the_figure_check_reads_png_widths():
    one_pixel = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAA"
                 "AABJRU5ErkJggg==")
    assert png_width(one_pixel) == 1

"""Tables for the chapters: Markdown that renders in JupyterLab and in the HTML book."""

from __future__ import annotations

from typing import Sequence

from IPython.display import Markdown


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], floatfmt: str = ".4g") -> Markdown:
    """A Markdown table with ``header`` and ``rows``; floats are printed with ``floatfmt``.

    Cells may contain inline math (``$...$``), which both JupyterLab and the book render.
    """
    header = [str(h) for h in header]
    if not header:
        raise ValueError("header must name at least one column")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] has {len(row)} cells, expected {len(header)} (the header's length)")
        cells = [format(v, floatfmt) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))

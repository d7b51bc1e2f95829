"""Tables for the chapters: numbered, captioned MyST tables that the HTML book renders.

A chapter's results table is printed by a code cell as Markdown; the book parses that
output as MyST (``nb_render_markdown_format: myst``), so a ``{table}`` directive around it
gives the table a number, a caption and a label for ``{numref}``.
"""

from __future__ import annotations

import re
from typing import Sequence

from IPython.display import Markdown

_MATH = re.compile(r"(\$[^$]*\$)")
_BAR = re.compile(r"(?<!\\)\|")  # a bar not escaped yet
_LABEL = re.compile(r"[A-Za-z][\w-]*")


def escape_cell(text: str) -> str:
    r"""``text`` made safe inside a Markdown table cell.

    A ``|`` ends a cell, so ``|Q|`` would split it: outside math each ``|`` becomes ``\|``;
    inside ``$...$`` each ``|`` becomes ``\vert`` and each norm bar ``\|`` becomes ``\Vert``
    (the table parser unescapes ``\|`` even there). Newlines become spaces.
    """
    parts = _MATH.split(text.replace("\n", " "))
    return "".join(part.replace(r"\|", r"\Vert ").replace("|", r"\vert ")
                   if part.startswith("$") and part.endswith("$") and len(part) > 1
                   else _BAR.sub(r"\|", part) for part in parts)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], floatfmt: str = ".4g", *,
                   caption: str | None = None, name: str | None = None) -> Markdown:
    """A Markdown table with ``header`` and ``rows``; floats are printed with ``floatfmt``.

    Cells may contain inline math (``$...$``); ``|`` in a cell is escaped (:func:`escape_cell`).
    With a ``caption`` the table is wrapped in a MyST ``{table}`` directive, so that the book
    numbers it ("Table 3.2") and ``name`` labels it for ``{numref}`name```.
    """
    header = [str(h) for h in header]
    if not header:
        raise ValueError("header must name at least one column")
    if name is not None and caption is None:
        raise ValueError(f"name={name!r} needs a caption: only a captioned table is numbered")
    if name is not None and not _LABEL.fullmatch(name):
        raise ValueError(f"name must be a label of letters, digits, '-' and '_', got {name!r}")
    lines = ["| " + " | ".join(escape_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] has {len(row)} cells, expected {len(header)} (the header's length)")
        cells = [format(v, floatfmt) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(escape_cell(c) for c in cells) + " |")
    if caption is None:
        return Markdown("\n".join(lines))
    head = [f":::{{table}} {escape_cell(caption)}"] + ([f":name: {name}"] if name else []) + [""]
    return Markdown("\n".join(head + lines + [":::"]))

"""Tables for the chapters: numbered, captioned MyST tables that the HTML book renders.

A chapter's results table is printed by a code cell as Markdown; the book parses that
output as MyST (``nb_render_markdown_format: myst``), so a ``{table}`` directive around it
gives the table a number, a caption and a label for ``{numref}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Sequence

import numpy as np
from IPython.display import Markdown

from ._validation import ArgumentTypeError, _shown, check_instance

_MATH = re.compile(r"(\$[^$]*\$)")
_BAR = re.compile(r"(?<!\\)\|")  # a bar not escaped yet
_LABEL = re.compile(r"[A-Za-z][\w-]*")


def escape_cell(text: str) -> str:
    r"""``text`` made safe inside a Markdown table cell.

    A ``|`` ends a cell, so ``|Q|`` would split it: outside math each ``|`` becomes ``\|``;
    inside ``$...$`` each ``|`` becomes ``\vert`` and each norm bar ``\|`` becomes ``\Vert``
    (the table parser unescapes ``\|`` even there). Newlines become spaces.
    """
    check_instance(text, "text", str, "a string")
    parts = _MATH.split(text.replace("\n", " "))
    return "".join(part.replace(r"\|", r"\Vert ").replace("|", r"\vert ")
                   if part.startswith("$") and part.endswith("$") and len(part) > 1
                   else _BAR.sub(r"\|", part) for part in parts)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence], floatfmt: str = ".4g", *,
                   caption: str | None = None, name: str | None = None) -> Markdown:
    """A Markdown table with ``header`` (a list of column titles: strings or numbers) and ``rows``
    (a list of lists of cells, as many as the header's); floats are printed with ``floatfmt``,
    other cells with ``str``.

    Cells may contain inline math (``$...$``); ``|`` in a cell is escaped (:func:`escape_cell`).
    With a ``caption`` the table is wrapped in a MyST ``{table}`` directive, so that the book
    numbers it ("Table 3.2") and ``name`` labels it for ``{numref}`name```.
    """
    header = _check_header(header)
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, Iterable):
        raise ArgumentTypeError(f"rows must be a list of rows (lists of cells), got {_shown(rows)}")
    check_instance(floatfmt, "floatfmt", str, "a format spec (a string such as '.4g')")
    try:
        format(1.5, floatfmt)
    except ValueError as error:
        raise ValueError(f"floatfmt must be a format spec for floats, got {floatfmt!r}: {error}") from None
    if caption is not None and (not isinstance(caption, str) or not caption.strip()):
        raise (ValueError if isinstance(caption, str) else ArgumentTypeError)(
            f"caption must be None or a non-empty text, got {_shown(caption)}")
    if name is not None and caption is None:
        raise ValueError(f"name={name!r} needs a caption: only a captioned table is numbered")
    if name is not None and (not isinstance(name, str) or not _LABEL.fullmatch(name)):
        raise (ValueError if isinstance(name, str) else ArgumentTypeError)(
            f"name must be a label of letters, digits, '-' and '_', got {_shown(name)}")
    lines = ["| " + " | ".join(escape_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple, np.ndarray)):
            raise ArgumentTypeError(f"rows[{i}] must be a list of cells, got {_shown(row)}")
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] has {len(row)} cells, expected {len(header)} (the header's length)")
        cells = [format(v, floatfmt) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(escape_cell(c) for c in cells) + " |")
    if caption is None:
        return Markdown("\n".join(lines))
    head = [f":::{{table}} {escape_cell(caption)}"] + ([f":name: {name}"] if name else []) + [""]
    return Markdown("\n".join(head + lines + [":::"]))


def _check_header(header) -> list[str]:
    """``header`` as a nonempty list of strings: titles given as strings or numbers (a bare string
    is refused)."""
    if isinstance(header, (str, bytes, dict)) or not isinstance(header, Iterable):
        raise ArgumentTypeError(f"header must be a list of column titles, got {_shown(header)}")
    header = list(header)
    if not header:
        raise ValueError("header must name at least one column")
    for i, h in enumerate(header):
        if not isinstance(h, (str, int, float, np.integer, np.floating)) or isinstance(h, (bool, np.bool_)):
            raise ValueError(f"header[{i}] must be a string (or a number), got {_shown(h)}")
    return [str(h) for h in header]

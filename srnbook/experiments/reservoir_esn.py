"""The echo state network of the chapter "Reservoir computing" on the long-time-lag problems.

One reservoir of 100 units, two leaks, the adding and temporal-order problems at four
lengths (:func:`srnbook.reservoir.esn_on_tasks`); about ten CPU seconds, which the
chapter loads instead of recomputing.

:data:`FULL`
    :data:`srnbook.reservoir.ESN_TASKS`: both problems, :math:`T = 10, 20, 50, 100`.
:data:`QUICK`
    The temporal-order problem at :math:`T = 10` only: a second, for the tests.
"""

from __future__ import annotations

import sys

from ..reservoir import ESN_TASKS, esn_on_tasks

FULL = {**ESN_TASKS, "progress": True}
"""The full configuration: the chapter's table."""

QUICK = {**FULL, "tasks": ["temporal_order"], "T": [10], "progress": False}
"""The quick configuration: one task, one length."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """:func:`srnbook.reservoir.esn_on_tasks` on ``config`` (keys of :data:`FULL`; ``progress``
    and ``workers`` are accepted for the command line and unused: the runs take seconds)."""
    config = dict(config)
    config.pop("progress", None)
    result = esn_on_tasks(config)
    result["experiment"] = "reservoir_esn"
    result["command"] = list(sys.argv if argv is None else argv)
    return result

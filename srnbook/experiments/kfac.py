r"""K-FAC with its three temporal models against Adam and SGD, at equal CPU budgets.

Two problems: the adding problem, and :func:`srnbook.tasks.parity`, the MLRegTest language
``04.04.Zp.2.1.0`` (an even number of :math:`c`; the report trains on it), at
:math:`T \in \{20, 50\}`. The network is that of :mod:`srnbook.experiments.hessian_free` (100 tanh units, the
initialization of Martens & Sutskever's released code); every method sees minibatches of 32
sequences and runs with its default learning rate (:data:`srnbook.training.DEFAULT_LR`:
K-FAC 0.1 with damping :math:`10^{-2}` and factor decay 0.95, Adam 0.01, clipped SGD 0.1): the
rates are not tuned per method. K-FAC uses the likelihood of the last output only
(``outputs="last"``).

:data:`QUICK`
    Parity at :math:`T = 10`, 8 units, the five methods, one seed, 512 sequences: seconds.
:data:`FULL`
    Adding and parity at :math:`T \in \{20, 50\}`, five methods, 2 seeds, 30 CPU seconds per run:
    40 runs, 20 CPU minutes.
"""

from __future__ import annotations

from ._grid import learning_curves, run_grid, success_table

METHODS = ["kfac_independent", "kfac_option1", "kfac_option2", "adam", "sgd_clip"]

QUICK = {
    "tasks": ["parity"],
    "T": [10],
    "methods": METHODS,
    "init": "martens_sutskever",
    "seeds": 1,
    "d": 8,
    "activation": "tanh",
    "batch_size": dict.fromkeys(METHODS, 32),
    "lr": {},
    "options": {},
    "max_sequences": 512,
    "budget_seconds": None,
    "target": 0.99,
    "eval_every": 256,
    "eval_size": 256,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 5 runs, seconds."""

FULL = {
    "tasks": ["adding", "parity"],
    "T": [20, 50],
    "methods": METHODS,
    "init": "martens_sutskever",
    "seeds": 2,
    "d": 100,
    "activation": "tanh",
    "batch_size": dict.fromkeys(METHODS, 32),
    "lr": {},
    "options": {},
    "max_sequences": 100_000_000,
    "budget_seconds": 30.0,
    "target": 0.99,
    "eval_every": 4096,
    "eval_size": 1000,
    "threads": 1,
    "progress": True,
}
"""The full configuration: 40 runs of 30 CPU seconds (one thread) each."""

KEYS = tuple(QUICK)

PUBLISHED: list[dict] = []
"""No published success rates on these problems were found for K-FAC: Martens, Ba & Johnson (2018)
report language modelling and a differentiable neural computer, whose numbers could not be read here."""

LABELS = {"kfac_independent": "K-FAC (independent)", "kfac_option1": "K-FAC (Option 1)",
          "kfac_option2": "K-FAC (Option 2)", "adam": "Adam", "sgd_clip": "SGD (clipped)"}
"""How the chapter names the methods."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run the grid of ``config`` (keys as in :data:`QUICK`); see :func:`._grid.run_grid`."""
    return run_grid("kfac", config, PUBLISHED, argv, workers)


def table(result: dict) -> tuple[list[str], list[list[str]]]:
    """The measured success table: solved seeds / seeds (median final validation success) per method."""
    return success_table(result, LABELS)


def plot_curves(result: dict, T: int):
    """Validation success against sequences seen, one panel per task at ``T``, one line per run."""
    return learning_curves(result, T, LABELS)

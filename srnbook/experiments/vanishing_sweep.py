r"""A broad, thin sweep: five first-order methods × three initializations × T, 6 CPU seconds a run.

The first form of :mod:`srnbook.experiments.vanishing`, kept because its stored result
(``book/data/vanishing_sweep.json``, made by this configuration when it was run as
``python -m srnbook.experiments vanishing``, commit f3c36c1) is what the reservoir chapter
compares a fixed reservoir against. Its budget is too small for any method to solve a long
lag (every cell at :math:`T = 100` is 0 of 10): the redesigned experiment gives fewer cells
the budget the effect needs.

Every cell (task, minimal length :math:`T`, method, initialization) is trained from
``seeds`` seeds by :func:`srnbook.training.train`, each run on its own budget; a run
*solves* the task when the validation success rate reaches ``target``. For each cell
the result gives the number of seeds that solved it and the median number of training
sequences needed, counting an unsolved seed as :math:`\infty` (so the median is
``None`` unless more than half of the seeds solved it).

Two configurations:

:data:`QUICK`
    The temporal order problem at :math:`T \in \{10, 20\}` (10 is the smallest
    :math:`T` the generator allows), the five methods, the orthogonal initialization,
    2 seeds, 8 tanh units, at most 1024 sequences per run: 20 runs, a few seconds.
    For tests and notebooks.
:data:`FULL`
    The adding and temporal order problems at :math:`T \in \{10, 20, 50, 100\}`, the
    five methods, small random, sparse and orthogonal initializations, 10 seeds, 32 tanh
    units, each run stopped after 6 CPU seconds: 1200 runs, at most
    :math:`1200 \times 6\,\mathrm s = 2` hours of CPU on one thread (less, since solved
    and diverged runs stop early). In 6 CPU seconds at :math:`T = 100` plain SGD and Adam
    see about 60 000 sequences, and the methods that need the temporal components
    (clipping with :math:`\Omega`, the normalized direction) about 30 000: the same CPU
    budget, not the same number of sequences. ``python -m srnbook.experiments vanishing_sweep
    --workers 2`` runs two at a time.

Runs use ``threads`` torch threads (1 by default), so that CPU seconds are comparable
between runs and the budget is the same for every method.

>>> result = run(QUICK)                                        # doctest: +SKIP
>>> result["cells"][0]["solved"], result["cells"][0]["seeds"]  # doctest: +SKIP
"""

from __future__ import annotations

from ..training import make_model, train
from .vanishing import METHOD_LABELS, _check_config, cell, grid_of_runs, plot_success  # noqa: F401 (shared)

FIRST_ORDER = ("sgd", "sgd_clip", "sgd_clip_omega", "normalized", "adam")
"""The methods compared here: the first-order remedies of the chapter (second-order methods have
their own experiments, :mod:`srnbook.experiments.hessian_free` and :mod:`srnbook.experiments.kfac`)."""

QUICK = {
    "tasks": ["temporal_order"],
    "T": [10, 20],
    "methods": list(FIRST_ORDER),
    "inits": ["orthogonal"],
    "seeds": 2,
    "d": 8,
    "activation": "tanh",
    "batch_size": 32,
    "lr": None,
    "max_sequences": 1024,
    "budget_seconds": None,
    "target": 0.99,
    "eval_every": 256,
    "eval_size": 256,
    "threads": 1,
    "progress": False,
}
"""The quick configuration: 20 runs, seconds in total."""

FULL = {
    "tasks": ["adding", "temporal_order"],
    "T": [10, 20, 50, 100],
    "methods": list(FIRST_ORDER),
    "inits": ["small", "sparse", "orthogonal"],
    "seeds": 10,
    "d": 32,
    "activation": "tanh",
    "batch_size": 32,
    "lr": None,
    "max_sequences": 10_000_000,
    "budget_seconds": 6.0,
    "target": 0.99,
    "eval_every": 4096,
    "eval_size": 1024,
    "threads": 1,
    "progress": True,
}
"""The full configuration: 1200 runs of at most 6 CPU seconds each (at most 2 hours of CPU)."""

KEYS = tuple(QUICK)

def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run every cell of ``config`` (keys as in :data:`QUICK`); the dict of
    :func:`srnbook.experiments.vanishing.run`, without ``published``."""
    return grid_of_runs("vanishing_sweep", _check_config(config, KEYS), _one_run, None, argv, workers)


def _one_run(config: dict, task: str, T: int, method: str, init: str, seed: int) -> dict:
    model = make_model(task, config["d"], config["activation"], init, seed)
    result = train(model, task, T, method, seed=seed, max_sequences=config["max_sequences"],
                   budget_seconds=config["budget_seconds"], batch_size=config["batch_size"], lr=config["lr"],
                   target=config["target"], eval_every=config["eval_every"], eval_size=config["eval_size"])
    return result.summary()

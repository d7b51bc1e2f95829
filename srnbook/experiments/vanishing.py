r"""Which remedies let an SRN learn long time lags? Tasks × T × methods × inits × seeds.

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
    budget, not the same number of sequences. ``python -m srnbook.experiments vanishing
    --workers 2`` runs two at a time.

Runs use ``threads`` torch threads (1 by default), so that CPU seconds are comparable
between runs and the budget is the same for every method.

>>> result = run(QUICK)                                        # doctest: +SKIP
>>> result["cells"][0]["solved"], result["cells"][0]["seeds"]  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import math
import statistics
import sys

import torch

from .._validation import check_choice
from ..tasks import _MIN_T, TASKS
from ..training import INITS, METHODS, make_model, train
from ._runner import check_config, run_jobs

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

PUBLISHED = [
    {"task": "adding", "T": 100, "model": "LSTM", "training": "online gradient descent (their truncated BPTT/RTRL hybrid)",
     "sequences": 74_000,
     "source": "Hochreiter & Schmidhuber (1997), Table 7"},
]
"""Published reference points, each with its source, for the table beside the measured cells."""

METHOD_LABELS = {"sgd": "SGD", "sgd_clip": "SGD + clipping", "sgd_clip_omega": r"SGD + clipping + $\Omega$",
                 "normalized": "normalized components", "adam": "Adam"}
"""How the chapters name the methods."""


def run(config: dict, argv: list[str] | None = None, workers: int = 1) -> dict:
    """Run every cell of ``config`` (keys as in :data:`QUICK`); return a JSON-able dict.

    The dict holds ``config``, ``cells`` (one per task, T, method, init: ``solved`` seeds out
    of ``seeds``, ``median_sequences``, ``median_success_rate``), ``runs`` (every run's
    :meth:`~srnbook.training.TrainResult.summary`), ``torch_version`` and ``command``
    (``argv``, default :data:`sys.argv`). Times are left out: they depend on the machine.

    ``workers > 1`` runs that many runs at once in separate processes, each with
    ``config["threads"]`` torch threads; a run's result does not depend on which process ran it
    (each run is seeded, and its CPU budget is its own process's CPU time).
    """
    config = _check_config(config)
    grid = list(itertools.product(config["tasks"], config["T"], config["methods"], config["inits"]))
    jobs = [(config, task, T, method, init, seed)
            for task, T, method, init in grid for seed in range(config["seeds"])]
    results = run_jobs(_one_run, jobs, workers=workers, threads=config["threads"], progress=config["progress"],
                       describe=lambda job: "{} T={} {} {} seed={}".format(*job[1:]))
    runs = [{"task": task, "T": T, "method": method, "init": init, "seed": seed, **result}
            for (_, task, T, method, init, seed), result in zip(jobs, results)]
    return {
        "experiment": "vanishing",
        "config": config,
        "cells": [_cell(config, runs, *key) for key in grid],
        "runs": runs,
        "torch_version": torch.__version__,
        "command": list(sys.argv if argv is None else argv),
    }


def cell(result: dict, task: str, T: int, method: str, init: str) -> dict:
    """The cell of ``result`` (from :func:`run` or the JSON) for one task, T, method and init."""
    for c in result["cells"]:
        if (c["task"], c["T"], c["method"], c["init"]) == (task, T, method, init):
            return c
    raise KeyError(f"no cell task={task!r}, T={T}, method={method!r}, init={init!r} in this result")


def plot_success(result: dict):
    """Seeds solved (out of ``seeds``) against :math:`T`: one panel per task and initialization, one
    line per method (shifted sideways a little, so that equal lines do not hide each other)."""
    import matplotlib.pyplot as plt

    config = result["config"]
    tasks, inits, Ts = config["tasks"], config["inits"], config["T"]
    fig, axes = plt.subplots(len(tasks), len(inits), figsize=(2.9 * len(inits) + 1.6, 2.4 * len(tasks)),
                             squeeze=False, sharex=True, sharey=True)
    for r, task in enumerate(tasks):
        for c, init in enumerate(inits):
            ax = axes[r][c]
            for j, method in enumerate(config["methods"]):
                solved = [cell(result, task, T, method, init)["solved"] for T in Ts]
                shift = 0.07 * (j - (len(config["methods"]) - 1) / 2)  # so that equal lines stay visible
                ax.plot([i + shift for i in range(len(Ts))], solved, "o-", ms=3, color=f"C{j}", alpha=0.85,
                        label=METHOD_LABELS.get(method, method))
            ax.set_title(f"{task.replace('_', ' ')}, {init} init", fontsize=9)
            ax.set_xticks(range(len(Ts)), [str(T) for T in Ts])
            ax.set_ylim(-0.5, config["seeds"] + 0.5)
            if r == len(tasks) - 1:
                ax.set_xlabel("minimal length $T$")
        axes[r][0].set_ylabel(f"seeds solved (of {config['seeds']})")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.tight_layout()
    plt.close(fig)
    return fig


def _one_run(config: dict, task: str, T: int, method: str, init: str, seed: int) -> dict:
    model = make_model(task, config["d"], config["activation"], init, seed)
    result = train(model, task, T, method, seed=seed, max_sequences=config["max_sequences"],
                   budget_seconds=config["budget_seconds"], batch_size=config["batch_size"], lr=config["lr"],
                   target=config["target"], eval_every=config["eval_every"], eval_size=config["eval_size"])
    return result.summary()


def _cell(config: dict, runs: list[dict], task: str, T: int, method: str, init: str) -> dict:
    mine = [r for r in runs if (r["task"], r["T"], r["method"], r["init"]) == (task, T, method, init)]
    needed = statistics.median(math.inf if r["sequences_to_solve"] is None else r["sequences_to_solve"]
                               for r in mine)
    return {
        "task": task, "T": T, "method": method, "init": init,
        "seeds": len(mine),
        "solved": sum(r["solved"] for r in mine),
        "median_sequences": None if math.isinf(needed) else needed,
        "median_success_rate": statistics.median(r["success_rate"] for r in mine),
    }


def _check_config(config) -> dict:
    config = check_config(config, KEYS, ("tasks", "T", "methods", "inits"))
    for key, choices in (("tasks", tuple(TASKS)), ("methods", METHODS), ("inits", INITS)):
        for value in config[key]:
            check_choice(value, f"config[{key!r}]", choices)
    smallest = max(_MIN_T[task][0] for task in config["tasks"])
    for T in config["T"]:
        if isinstance(T, bool) or not isinstance(T, int) or T < smallest:
            raise ValueError(f"config['T'] must hold integers >= {smallest} for tasks {config['tasks']}, got {T!r}")
    for key in ("seeds", "threads"):
        if isinstance(config[key], bool) or not isinstance(config[key], int) or config[key] < 1:
            raise ValueError(f"config[{key!r}] must be a positive integer, got {config[key]!r}")
    return config
